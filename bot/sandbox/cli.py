"""`webex-bot sandbox`: try the bot in one command, interactively or from a script of console lines."""

from __future__ import annotations

import argparse
import asyncio
import logging
import queue
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from bot.cli_help import HelpWithDefaults
from bot.sandbox.console import Console, StepFailed
from bot.sandbox.stack import SandboxOptions, SandboxStack, StartupFailed

__all__ = ["run"]

EXIT_OK = 0
EXIT_STEP_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Step(argparse.Action):
    """Collects --run/--approve/--deny/--as in the order given, as console lines."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option: str | None = None,
    ) -> None:
        steps: list[str] = list(getattr(namespace, "steps", None) or [])
        if option == "--run":
            steps.append(str(values))
        elif option == "--as":
            steps.append(f":as {values}")
        else:
            steps.append(":" + str(option).lstrip("-"))
        namespace.steps = steps


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webex-bot sandbox",
        description=(
            "Try webex-bot without Slack or Webex: starts a local Webex site (the emulator), the bot and a "
            "stand-in for Slack on 127.0.0.1, and lets you type /webex commands as a sandbox user. "
            "With --run it plays the given lines, prints the transcript and exits (0 when every step worked)."
        ),
        epilog='example: webex-bot sandbox --run "/webex connect" --approve --run "/webex schedule Standup '
        'tomorrow 9am"',
        formatter_class=HelpWithDefaults,
    )
    parser.set_defaults(steps=[])
    parser.add_argument("--run", metavar="LINE", action=_Step, help="a slash command or console line to play")
    parser.add_argument(
        "--approve", nargs=0, action=_Step, help="allow the latest Connect link (as the user)"
    )
    parser.add_argument("--deny", nargs=0, action=_Step, help="deny the latest Connect link")
    parser.add_argument(
        "--as", metavar="USER", action=_Step, help="continue as another user (alice, bob, carol, ana, li)"
    )
    parser.add_argument("--port", type=int, default=0, help="the bot's port (default: any free port)")
    parser.add_argument(
        "--emulator-port", type=int, default=0, help="the Webex emulator's port (default: any free port)"
    )
    parser.add_argument(
        "--database-url", help="where the bot keeps its data (default: SQLite in a temporary folder)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the emulator waits before answering"
    )
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the bot's answers")
    parser.add_argument(
        "--api",
        choices=("xml", "rest"),
        default="xml",
        help="the Webex API the bot speaks to the emulator (WEBEX_API): xml, or rest (webexapis.com's)",
    )
    parser.add_argument("--verbose", action="store_true", help="show the bot's log (INFO)")
    return parser


class _StdinLines:
    """Reads lines on a daemon thread, so Ctrl-C and :quit never wait for a blocked input()."""

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[str, asyncio.AbstractEventLoop, asyncio.Future[str | None]]] = (
            queue.Queue()
        )
        threading.Thread(target=self._serve, name="sandbox-input", daemon=True).start()

    def _serve(self) -> None:
        while True:
            prompt, loop, future = self._requests.get()
            try:
                line: str | None = input(prompt)
            except EOFError:
                line = None
            except BaseException:  # the console is going away; nobody waits for this line
                line = None
            loop.call_soon_threadsafe(_settle, future, line)

    async def read(self, prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        self._requests.put((prompt, loop, future))
        return await future


def _settle(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


def _banner(stack: SandboxStack, write: Callable[[str], None]) -> None:
    users = ", ".join(f"{u.name} ({u.email or 'no Webex account'})" for u in stack.users)
    write("webex-bot sandbox: everything runs on this machine, nothing reaches Slack or Webex.")
    write(f"  bot            {stack.bot_url}")
    api = "REST API at /v1" if stack.options.api == "rest" else "XML API"
    write(f"  Webex emulator {stack.emulator_url} (site 'sandbox', the bot uses its {api})")
    write(f"  Slack stand-in {stack.slack.base_url}")
    write(f"  users          {users}")


async def _script(console: Console, steps: Sequence[str], write: Callable[[str], None]) -> int:
    for index, line in enumerate(steps, start=1):
        write(f"{console.prompt()}{line}")
        try:
            await console.step(line)
        except EOFError:
            return EXIT_OK
        except StepFailed as failure:
            write(f"sandbox: step {index} ({line}) failed: {failure}")
            return EXIT_STEP_FAILED
    return EXIT_OK


async def _interactive(console: Console, lines: _StdinLines, write: Callable[[str], None]) -> int:
    write("Type /webex help to start, :help for the console's commands, :quit to leave.")
    while True:
        line = await _read_showing_late_answers(console, lines)
        if line is None:
            write("")
            return EXIT_OK
        try:
            await console.step(line)
            await console.fill_pending_form()
        except EOFError:
            return EXIT_OK
        except StepFailed as failure:
            write(f"  ✗ {failure}")


async def _read_showing_late_answers(console: Console, lines: _StdinLines) -> str | None:
    """Wait for the next line; answers that arrive meanwhile (a slow Webex, a link made) are printed."""
    reading = asyncio.ensure_future(lines.read(console.prompt()))
    while True:
        done, _ = await asyncio.wait({reading}, timeout=0.25)
        if done:
            return reading.result()
        console.show_new()


async def _main(args: argparse.Namespace, out: TextIO) -> int:
    def write(text: str) -> None:
        print(text, file=out, flush=True)

    steps: list[str] = list(args.steps)
    interactive = not steps and sys.stdin.isatty()
    if not steps and not interactive:
        steps = [line.rstrip("\n") for line in sys.stdin if line.strip() and not line.startswith("#")]
    options = SandboxOptions(
        bot_port=args.port,
        emulator_port=args.emulator_port,
        database_url=args.database_url,
        emulator_latency=args.latency,
        log_level="INFO" if args.verbose else "WARNING",
        api=args.api,
    )
    stack = SandboxStack(options)
    try:
        try:
            await stack.start()
        except StartupFailed as failure:
            write(f"sandbox: {failure}")
            return EXIT_USAGE
        _banner(stack, write)
        lines = _StdinLines() if interactive else None
        console = Console(stack, write, ask=lines.read if lines else None, reply_timeout=args.timeout)
        if lines is not None:
            return await _interactive(console, lines, write)
        return await _script(console, steps, write)
    finally:
        await stack.close()


def run(argv: Sequence[str], *, out: TextIO | None = None) -> int:
    """The body of `webex-bot sandbox`; returns the process exit status."""
    args = _parser().parse_args(list(argv))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="  [log] %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for noisy in ("uvicorn.error", "slack_bolt", "slack_sdk"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return asyncio.run(_main(args, out or sys.stdout))
    except KeyboardInterrupt:
        print("\nsandbox stopped.", file=out or sys.stdout, flush=True)
        return EXIT_INTERRUPTED
