"""`webex-bot sandbox` end to end: the scripted console through connect, schedule, list and cancel."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.cli import run
from bot.sandbox.console import Console, StepFailed
from bot.sandbox.stack import SandboxOptions, SandboxStack

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("api", ["xml", "rest"])
async def test_connect_schedule_list_cancel_through_the_console(api: str) -> None:
    transcript: list[str] = []
    stack = SandboxStack(SandboxOptions(api=api))
    await stack.start()
    try:
        console = Console(stack, transcript.append, reply_timeout=10)
        await console.step("/webex connect")
        assert any("[1] Connect Webex ↗" in line for line in transcript)
        await console.step(":approve")
        assert any("Your Webex account is linked" in line for line in transcript)
        assert stack.emulator.meetings() == []

        await console.step("/webex schedule Standup tomorrow 9am")
        (meeting,) = stack.emulator.meetings()
        assert meeting.conf_name == "Standup"
        assert meeting.host_webex_id == "alice@sandbox.example"
        assert any(str(meeting.key) in line for line in transcript)
        await console.step(":expect Standup")

        transcript.clear()
        await console.step("/webex list")
        assert any("Your upcoming meetings" in line for line in transcript)
        cancel = next(line for line in transcript if "Cancel" in line and "[" in line)
        number = re.findall(r"\[(\d+)\] Cancel", cancel)[0]

        await console.step(":as bob")
        with pytest.raises(StepFailed, match="on alice's screen"):
            await console.step(number)
        await console.step(":as alice")

        transcript.clear()
        await console.step(number)
        assert any("cancelled" in line.lower() for line in transcript)
        assert stack.emulator.meetings() == []
        # The bot spoke only the API it was set to.
        assert bool(stack.emulator.xml_requests()) is (api == "xml")
        assert bool(stack.emulator.rest.requests("POST /v1/meetings")) is (api == "rest")
    finally:
        await stack.close()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(stack.bot_url.rsplit(":", 1)[1]))) != 0


@pytest.mark.parametrize("api", ["xml", "rest"])
def test_scripted_run_prints_the_transcript_and_exits_zero(api: str) -> None:
    out = io.StringIO()
    status = run(
        [
            "--api",
            api,
            "--run",
            "/webex connect",
            "--approve",
            "--run",
            "/webex schedule Standup tomorrow 9am",
            "--run",
            ":meetings",
        ],
        out=out,
    )
    transcript = out.getvalue()
    assert status == 0, transcript
    assert "alice › /webex connect" in transcript
    assert "Your Webex account is linked" in transcript
    assert "alice › /webex schedule Standup tomorrow 9am" in transcript
    assert re.search(r"holds 1 meeting\(s\):\n  · \d+  'Standup'", transcript), transcript


def test_the_sandbox_shows_a_recurring_series_as_one_meeting_with_its_rule() -> None:
    out = io.StringIO()
    script = [
        "/webex connect",
        "--approve",
        "/webex schedule Standup every weekday 9am for 10 times",
        ":meetings",
    ]
    args = [item for step in script for item in ((step,) if step.startswith("--") else ("--run", step))]
    status = run([*args, "--run", ":expect Repeats every weekday, 10 times"], out=out)
    transcript = out.getvalue()
    assert status == 0, transcript
    assert re.search(
        r"holds 1 meeting\(s\):\n  · \d+  'Standup' .* "
        r"repeats FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;COUNT=10",
        transcript,
    ), transcript


def test_a_failing_step_exits_non_zero_with_the_reason() -> None:
    out = io.StringIO()
    status = run(["--run", "/webex help", "--run", "42"], out=out)
    assert status == 1
    assert "/webex schedule [topic]" in out.getvalue()  # the help, printed from the ack's blocks
    assert "sandbox: step 2 (42) failed: there is no button 42 on screen" in out.getvalue()
    out = io.StringIO()
    assert run(["--approve"], out=out) == 1
    assert "no Connect link on your screen yet" in out.getvalue()


def test_denying_links_nothing_and_a_taken_port_is_reported() -> None:
    out = io.StringIO()
    assert run(["--run", "/webex connect", "--deny", "--run", "/webex status"], out=out) == 0
    transcript = out.getvalue()
    assert "Deny as alice@sandbox.example" in transcript
    assert transcript.count("[2] Connect Webex") == 1, transcript
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = io.StringIO()
        assert run(["--port", str(taken.getsockname()[1]), "--run", "/webex help"], out=out) == 2
    assert "is taken" in out.getvalue()


def test_the_command_line_reads_a_script_from_stdin_and_leaves_nothing_listening() -> None:
    script = "/webex connect\n:approve\n/webex status\n:quit\n/webex never-reached\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in list(env):
        if name.startswith(("SLACK_", "WEBEX_", "DATABASE_URL", "TOKEN_KEYS")):
            del env[name]
    finished = subprocess.run(
        [sys.executable, "-m", "bot.cli", "sandbox"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "alice › /webex status" in finished.stdout
    assert "never-reached" not in finished.stdout
    ports = [int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)", finished.stdout)[:3]]
    assert len(ports) == 3
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, port


@pytest.mark.parametrize(
    ("policy", "title"),
    [("refuse", "This Webex account was not linked"), ("sign-in-with-slack", "Your Webex account is linked")],
)
async def test_the_sandbox_links_another_webex_email_only_through_sign_in_with_slack(
    monkeypatch: pytest.MonkeyPatch, policy: str, title: str
) -> None:
    monkeypatch.setenv("EMAIL_MISMATCH_POLICY", policy)
    stack = SandboxStack()
    await stack.start()
    try:
        alice = stack.driver("U_ALICE")
        reply = (await alice.command("connect", replies=1)).replies[0]
        url = next(
            element["url"]
            for block in reply.blocks
            for element in block.get("elements") or []
            if element.get("action_id") == "connect_webex"
        )
        result = await stack.consent(url, webex_user="bob@sandbox.example", slack_user="U_ALICE")
        assert result.title == title
    finally:
        await stack.close()


async def test_shortcuts_and_recordings_through_the_console() -> None:
    transcript: list[str] = []
    stack = SandboxStack()
    await stack.start()
    try:
        console = Console(stack, transcript.append, reply_timeout=10)
        await console.step("/webex connect")
        await console.step(":approve")

        transcript.clear()
        await console.step(":shortcut @bob Budget sync with @ana")
        text = "\n".join(transcript)
        assert "Budget sync with @ana" in text  # the form, its topic from bob's message

        await console.step(":close")
        await console.step(":shortcut")
        await console.step(":close")

        await console.step(":recording Design review 45")
        transcript.clear()
        await console.step("/webex recordings")
        text = "\n".join(transcript)
        assert "Design review" in text and "45 min" in text
        share = next(line for line in transcript if "Share in channel" in line and "[" in line)
        number = re.findall(r"\[(\d+)\] Share in channel", share)[0]
        transcript.clear()
        await console.step(number)
        assert any("shared a Webex recording" in line for line in transcript)
        with pytest.raises(StepFailed, match="e.g. :shortcut @bob"):
            await console.step(":shortcut bob")
    finally:
        await stack.close()
