"""The sandbox console: type slash commands as a sandbox user, read the answers, press numbered buttons."""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.sandbox.driver import Exchange, SlackDriver
from bot.sandbox.escaping import CommandText, escape_command_text
from bot.sandbox.render import Control, initial_text, input_blocks, mrkdwn_to_text, render_blocks, render_view
from bot.sandbox.stack import WEBEX_SITE, SandboxStack
from bot.sandbox.workspace import RecordedCall, SlackUser
from bot.slack.meetings.shortcuts import MESSAGE_SHORTCUT, SCHEDULE_SHORTCUT

__all__ = ["HELP", "Console", "StepFailed"]

Ask = Callable[[str], Awaitable[str | None]]

HELP = """\
Type what a Slack user would type, for example:
  /webex help                           the bot's own help
  /webex connect                        link your Webex account (then :approve)
  /webex schedule Standup tomorrow 9am  schedule a meeting
  /webex schedule Standup every weekday 9am until 31 March   a recurring series
  /webex list                           your upcoming meetings
Console commands:
  3  or  :press 3 [choice]   press button 3 (a choice for menus: option value or label)
  :approve / :deny           answer the Webex consent page of your latest Connect link
  :open                      print your latest Connect link, to open it in a browser
  :as bob                    become another sandbox user (alice, bob, carol, ana, li)
  :submit block=value ...    submit the open form (values per input, see its [block ids])
  :close                     close the open form
  :home                      open the bot's Home tab
  :shortcut                  use the "Schedule a Webex meeting" shortcut (opens the form)
  :shortcut @bob TEXT        "Schedule a meeting about this" on a message bob wrote in #sandbox
  :recording NAME [minutes]  seed a recording of yours in the emulator (see /webex recordings)
  :meetings                  what the Webex emulator holds
  :expect TEXT               fail (in scripts) unless the last answers contain TEXT
  :log                       every call the bot made to Slack
  :wait 50m                  move the bot's and Webex's clocks on (m, h or d) and run what fell due:
                             reminders (/webex schedule ... in 15 minutes, then :wait 5m), link renewal
  :help  :quit"""

# How long the bot may stay silent and idle before a command counts as answered.
QUIET_SECONDS = 0.15


class StepFailed(Exception):
    """A console step that did not work; the message is the reason, printed for scripts."""


@dataclass
class _Pressable:
    control: Control
    source: RecordedCall


class Console:
    """One sandbox run: who you are, what you have been shown, and the buttons you can press."""

    def __init__(
        self,
        stack: SandboxStack,
        write: Callable[[str], None],
        *,
        ask: Ask | None = None,
        reply_timeout: float = 20.0,
    ) -> None:
        self.stack = stack
        self.write = write
        self.ask = ask
        self.reply_timeout = reply_timeout
        self.user: SlackUser = stack.users[0]
        self._drivers: dict[str, SlackDriver] = {}
        self._controls: dict[int, _Pressable] = {}
        self._next_number = 1
        self._shown: set[int] = set()
        self._forms: dict[str, RecordedCall] = {}
        self._last_answers: list[str] = []
        self._told: set[str] = set()
        self._pending_form: RecordedCall | None = None

    # Who is typing.

    @property
    def driver(self) -> SlackDriver:
        if self.user.id not in self._drivers:
            self._drivers[self.user.id] = self.stack.driver(self.user.id)
        return self._drivers[self.user.id]

    def _find_user(self, name: str) -> SlackUser:
        wanted = name.strip().lstrip("@").lower()
        for user in self.stack.users:
            if wanted in (user.id.lower(), user.name.lower(), (user.email or "").lower()):
                return user
        known = ", ".join(user.name for user in self.stack.users)
        raise StepFailed(f"there is no sandbox user {name!r} (there are: {known})")

    def _name_of(self, user_id: str) -> str:
        user = self.stack.slack.workspace.users.get(user_id)
        return user.name if user else user_id

    def prompt(self) -> str:
        return f"{self.user.name} › "

    # Steps.

    async def step(self, line: str) -> None:
        """Do one line of input; StepFailed says why it did not work."""
        line = line.strip()
        if not line:
            return
        if line.startswith("/"):
            await self._command(line)
        elif line.isdigit() or line.split(" ", 1)[0].isdigit():
            number, _, choice = line.partition(" ")
            await self._press(int(number), choice.strip() or None)
        elif line.startswith(":"):
            await self._console_command(line)
        else:
            raise StepFailed(f"{line!r} is not a slash command or a console command; try :help")

    async def _console_command(self, line: str) -> None:
        name, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if name == "help":
            self.write(HELP)
        elif name == "press":
            number, _, choice = rest.partition(" ")
            if not number.isdigit():
                raise StepFailed(":press needs a button number, e.g. :press 2")
            await self._press(int(number), choice.strip() or None)
        elif name in ("approve", "deny"):
            await self._consent(allow=name == "approve")
        elif name == "open":
            self.write(f"  Open this in a browser: {self._connect_link()}")
        elif name == "as":
            self.user = self._find_user(rest)
            self._told.discard(self.user.id)
            self.write(
                f"  You are now {self.user.real_name} (@{self.user.name}, {self.user.email or 'no email'})."
            )
            self._show_new()
        elif name == "submit":
            await self._submit(_parse_values(rest))
        elif name == "close":
            await self._close_form()
        elif name == "home":
            exchange = await self.driver.open_home()
            await self._settle(exchange)
        elif name == "shortcut":
            await self._shortcut(rest)
        elif name == "recording":
            self._seed_recording(rest)
        elif name == "meetings":
            self._meetings()
        elif name == "expect":
            self._expect(rest)
        elif name == "log":
            self._log()
        elif name in ("wait", "clock"):
            await self._wait(rest)
        elif name in ("quit", "exit", "q"):
            raise EOFError
        else:
            raise StepFailed(f"unknown console command :{name}; try :help")

    async def _wait(self, text: str) -> None:
        delta = _duration(text)
        first_seq = self.stack.slack.call_count
        sent, renewed = await self.stack.wait(delta)
        now = self.stack.emulator.now()
        self.write(
            f"  The clocks moved on {text.strip().lstrip('+')}: now {now:%Y-%m-%d %H:%M} UTC; "
            f"{_count(sent, 'reminder')} sent, {_count(renewed, 'link')} renewed."
        )
        await self._wait_idle(first_seq)
        self._show_new()

    async def _command(self, line: str) -> None:
        command, _, text = line.partition(" ")
        exchange = await self.driver.command(text.strip(), command=command)
        if exchange.status != 200:
            raise StepFailed(f"the bot answered HTTP {exchange.status} to {line}: {exchange.text[:200]}")
        ack = exchange.ack_text
        if exchange.ack_blocks:
            # An answer given in the ack itself (help, a usage error): shown like any message.
            self._answer_header("only visible to you")
            lines, _ = render_blocks(
                exchange.ack_blocks, first_number=self._next_number, fallback_text=ack, name_of=self._name_of
            )
            self._write_lines(lines)
        elif ack:
            self._answer_header("only visible to you")
            self._write_lines(mrkdwn_to_text(ack, self._name_of).splitlines())
        self._last_answers = [ack] if ack else []
        await self._settle(exchange, keep_answers=True)
        if not self._last_answers:
            raise StepFailed(f"no answer to {line} within {self.reply_timeout:.0f}s")

    async def _press(self, number: int, choice: str | None) -> None:
        pressable = self._controls.get(number)
        if pressable is None:
            raise StepFailed(f"there is no button {number} on screen")
        control, source = pressable.control, pressable.source
        if source.audience not in (None, self.user.id):
            raise StepFailed(f"button {number} is on {self._name_of(source.audience)}'s screen, not yours")
        if control.confirm:
            self.write(f"  (confirmed: {control.confirm})")
        value = None
        if control.options:
            if choice is None:
                raise StepFailed(f"button {number} is a menu; say which: {number} <choice>")
            value = _option_value(control, choice)
        exchange = await self.driver.click(source, control.action_id, value=value)
        if exchange.status != 200:
            raise StepFailed(f"the bot answered HTTP {exchange.status} to pressing {control.label}")
        if control.url:
            self.write(f"  ↗ opens {control.url}")
            if "/webex/connect/" in control.url:
                self.write("    (open it in a browser, or type :approve to allow it as this user)")
        await self._settle(exchange)

    async def _consent(self, *, allow: bool) -> None:
        link = self._connect_link()
        if self.user.email is None:
            raise StepFailed(f"{self.user.name} has no email to sign in to Webex with")
        first_seq = self.stack.slack.next_seq()
        result = await self.stack.consent(
            link, webex_user=self.user.email, allow=allow, slack_user=self.user.id
        )
        verb = "Allow" if allow else "Deny"
        self.write(f"  🌐 Webex consent page → {verb} as {self.user.email}")
        self.write(f"  🌐 {result.title or 'HTTP ' + str(result.status)}")
        for line in result.text.splitlines():
            self.write(f"     {line}")
        await self._wait_idle(first_seq)
        self._show_new()
        if allow and not result.ok:
            raise StepFailed(f"connecting failed: {result.title or result.status}")

    def _connect_link(self) -> str:
        for number in sorted(self._controls, reverse=True):
            pressable = self._controls[number]
            url = pressable.control.url
            if url and "/webex/connect/" in url and pressable.source.audience in (None, self.user.id):
                return url
        raise StepFailed("no Connect link on your screen yet; run /webex connect first")

    # Forms.

    def _open_form(self) -> RecordedCall:
        form = self._forms.get(self.user.id)
        if form is None:
            raise StepFailed("no form is open")
        return form

    async def _submit(self, values: dict[str, Any]) -> None:
        form = self._open_form()
        view = form.view or {}
        values = _form_values(view, values, self.stack.users)
        exchange = await self.driver.submit(form, values)
        if exchange.status != 200:
            raise StepFailed(f"the bot answered HTTP {exchange.status} to the form")
        answer = exchange.json()
        if isinstance(answer, Mapping) and answer.get("response_action") == "errors":
            errors = answer.get("errors") or {}
            for block_id, message in errors.items():
                self.write(f"  ✗ {block_id}: {message}")
            raise StepFailed("the form was refused: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
        if not (isinstance(answer, Mapping) and answer.get("response_action") in ("update", "push")):
            self._forms.pop(self.user.id, None)
        await self._settle(exchange)

    async def _close_form(self) -> None:
        form = self._open_form()
        self._forms.pop(self.user.id, None)
        view = form.view or {}
        if view.get("notify_on_close"):
            exchange = await self.driver.close_view(form)
            await self._settle(exchange)
        self.write("  (form closed)")

    async def _fill_form(self, form: RecordedCall) -> None:
        """Ask for each input of a form the bot opened, then submit it; the bot's refusals are asked again."""
        if self.ask is None:
            return
        view = form.view or {}
        if not input_blocks(view):
            return
        values: dict[str, Any] = {}
        self.write("  (fill in the form; Enter keeps what is shown in parentheses, :close closes it)")
        for attempt in range(3):
            for block in input_blocks(view):
                block_id = str(block.get("block_id") or "")
                label = str((block.get("label") or {}).get("text") or block_id)
                optional = " (optional)" if block.get("optional") else ""
                current = initial_text(block.get("element") or {}, self._name_of)
                shown = f" ({current})" if current else ""
                answer = await self.ask(f"  {label}{optional}{shown}: ")
                if answer is None or answer.strip() == ":close":
                    await self._close_form()
                    return
                if answer.strip():
                    values[block_id] = answer.strip()
            try:
                await self._submit(values)
                return
            except StepFailed as refused:
                if attempt == 2:
                    raise
                self.write(f"  {refused}; try again (or :close)")

    # What the bot showed.

    async def _settle(self, exchange: Exchange, *, keep_answers: bool = False) -> None:
        if not keep_answers:
            self._last_answers = []
        await self._wait_idle(exchange.first_seq)
        self._show_new()

    async def _wait_idle(self, first_seq: int) -> None:
        """Wait until the bot has nothing in flight and has been quiet a moment (or the time is up)."""
        deadline = time.monotonic() + self.reply_timeout
        last_count = -1
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            count = self.stack.slack.call_count
            if count != last_count:
                last_count = count
                quiet_since = time.monotonic()
                self._show_new()
            elif self.stack.bot_in_flight() == 0 and time.monotonic() - quiet_since >= QUIET_SECONDS:
                return
            await asyncio.sleep(0.02)
        self.write(f"  (the bot is still working after {self.reply_timeout:.0f}s)")

    def show_new(self) -> None:
        """Print what reached the current user since the last look (the bot may answer late)."""
        self._show_new()

    def _show_new(self) -> None:
        for call in self.stack.slack.calls:
            if call.seq in self._shown or not call.is_reply:
                continue
            if call.audience not in (None, self.user.id):
                continue
            self._shown.add(call.seq)
            self._show(call)
        waiting = [
            call
            for call in self.stack.slack.calls
            if call.is_reply
            and call.ok
            and call.seq not in self._shown
            and call.audience not in (None, self.user.id)
        ]
        for audience in sorted({call.audience or "" for call in waiting} - self._told - {""}):
            name = self._name_of(audience)
            self.write(f"  ({name} has new messages from the bot; :as {name} to read them)")
            self._told.add(audience)

    def _show(self, call: RecordedCall) -> None:
        if not call.ok:
            error = call.answer.get("error") or f"HTTP {call.status}"
            self.write(f"  ⚠ the bot's {call.method} was refused by Slack: {error}")
            return
        body = call.body
        if call.method == "response_url":
            if body.get("delete_original"):
                self._answer_header("deleted its earlier message")
                return
            where = "in #sandbox" if body.get("response_type") == "in_channel" else "only visible to you"
            if body.get("replace_original"):
                where += ", replacing its earlier message"
            self._message(where, call)
        elif call.method == "chat.postEphemeral":
            self._message("only visible to you", call)
        elif call.method == "chat.postMessage":
            channel = call.channel or ""
            self._message("direct message" if channel.startswith("D") else f"in {channel}", call)
        elif call.method == "chat.update":
            self._message(f"updated its message in {call.channel or 'a channel'}", call)
        elif call.method == "chat.delete":
            self._answer_header("deleted a message")
        elif call.method in ("views.open", "views.push", "views.update"):
            self._form(call)
        elif call.method == "views.publish":
            self._answer_header("Home tab")
            lines, controls = render_view(
                call.view or {}, first_number=self._next_number, name_of=self._name_of
            )
            self._register(controls, call)
            self._write_lines(lines)

    def _message(self, where: str, call: RecordedCall) -> None:
        self._answer_header(where)
        lines, controls = render_blocks(
            call.blocks, first_number=self._next_number, fallback_text=call.text, name_of=self._name_of
        )
        self._register(controls, call)
        self._write_lines(lines)
        self._last_answers.append("\n".join([call.text or "", *lines]))

    def _form(self, call: RecordedCall) -> None:
        view = call.view or {}
        if view.get("type") != "modal":
            return
        self._forms[self.user.id] = call
        verb = "updated the form" if call.method == "views.update" else "opened a form"
        self._answer_header(verb)
        lines, controls = render_view(view, first_number=self._next_number, name_of=self._name_of)
        self._register(controls, call)
        self._write_lines(lines)
        self._last_answers.append("\n".join(lines))
        if self.ask is None:
            ids = " ".join(f"{block.get('block_id')}=…" for block in input_blocks(view))
            self.write(f"  (fill it in with :submit {ids}, or :close)")
        else:
            self._pending_form = call

    def _register(self, controls: list[Control], source: RecordedCall) -> None:
        for control in controls:
            self._controls[control.number] = _Pressable(control=control, source=source)
            self._next_number = max(self._next_number, control.number + 1)

    def _answer_header(self, where: str) -> None:
        self.write(f"webex-bot · {where}")

    def _write_lines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(f"  {line}")

    async def fill_pending_form(self) -> None:
        """In the interactive console, prompt for a form the bot just opened."""
        form, self._pending_form = self._pending_form, None
        if form is not None and self._forms.get(self.user.id) is form:
            await self._fill_form(form)

    # Inspection.

    async def _shortcut(self, rest: str) -> None:
        if not rest:
            exchange = await self.driver.shortcut(SCHEDULE_SHORTCUT)
        else:
            author_name, _, text = rest.partition(" ")
            if not author_name.startswith("@") or not text.strip():
                raise StepFailed(
                    "say whose message and what it says, e.g. :shortcut @bob Budget sync with @ana"
                )
            author = self._find_user(author_name)
            workspace = self.stack.slack.workspace
            escaped = escape_command_text(
                text.strip(), CommandText.of(workspace.users.values(), workspace.channels.values())
            )
            message = {"user": author.id, "text": escaped, "ts": f"{time.time():.6f}"}
            exchange = await self.driver.message_shortcut(MESSAGE_SHORTCUT, message)
        if exchange.status != 200:
            raise StepFailed(f"the bot answered HTTP {exchange.status} to the shortcut")
        await self._settle(exchange)

    def _seed_recording(self, rest: str) -> None:
        words = rest.split()
        minutes = int(words.pop()) if len(words) > 1 and words[-1].isdigit() else 30
        name = " ".join(words)
        if not name:
            raise StepFailed("name the recording, e.g. :recording Design review 45")
        if self.user.email is None:
            raise StepFailed(f"{self.user.name} has no Webex account to hold a recording")
        made = self.stack.emulator.add_recording(
            WEBEX_SITE, self.user.email, name, duration_seconds=minutes * 60
        )
        self.write(
            f"  The emulator now holds recording {made.recording_id} {name!r} ({minutes} min) of yours."
        )

    def _meetings(self) -> None:
        meetings = sorted(self.stack.emulator.meetings(), key=lambda m: m.start)
        if not meetings:
            self.write("  The Webex emulator holds no meetings.")
            return
        self.write(f"  The Webex emulator holds {len(meetings)} meeting(s):")
        for meeting in meetings:
            start = meeting.start.strftime("%Y-%m-%d %H:%M UTC")
            # A series shows its rule as Webex keeps it (the emulator holds one meeting per series).
            rule = f"  repeats {meeting.rest.recurrence}" if meeting.rest and meeting.rest.recurrence else ""
            self.write(
                f"  · {meeting.key}  {meeting.conf_name!r}  {start}  {meeting.duration_minutes} min  "
                f"host {meeting.host_webex_id}{rule}"
            )

    def _expect(self, text: str) -> None:
        if not text:
            raise StepFailed(":expect needs the text to look for")
        wanted = text.strip().strip('"').lower()
        if not any(wanted in answer.lower() for answer in self._last_answers):
            raise StepFailed(f"expected the last answer to contain {text!r}")
        self.write(f"  ✓ found {text!r}")

    def _log(self) -> None:
        for call in self.stack.slack.calls:
            status = "ok" if call.ok else (call.answer.get("error") or call.status)
            who = f" → {self._name_of(call.audience)}" if call.audience else ""
            self.write(f"  #{call.seq} {call.method}{who} ({status})")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def _duration(text: str) -> timedelta:
    """`50m`, `+2h`, `55d`: how far `:wait` moves the clocks (forward only)."""
    word = text.strip().lstrip("+").lower()
    number, unit = word[:-1], word[-1:]
    if not number.isdigit() or unit not in _UNITS or int(number) == 0:
        raise StepFailed(":wait needs how long, e.g. :wait 50m, :wait 2h or :wait 55d")
    return int(number) * _UNITS[unit]


def _parse_values(text: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for part in shlex.split(text):
        key, sep, value = part.partition("=")
        if not sep:
            raise StepFailed(f"{part!r} is not block=value")
        values[key] = value
    return values


def _option_value(control: Control, choice: str) -> str:
    for option in control.options:
        label = str((option.get("text") or {}).get("text") or "")
        if choice == option.get("value") or choice.lower() == label.lower():
            return str(option.get("value"))
    known = ", ".join(str((option.get("text") or {}).get("text")) for option in control.options)
    raise StepFailed(f"{choice!r} is not one of: {known}")


def _form_values(
    view: Mapping[str, Any], values: dict[str, Any], users: tuple[SlackUser, ...]
) -> dict[str, Any]:
    """Typed answers as Slack would hold them: option labels to values, user names to ids, lists split."""
    by_name = {key: user.id for user in users for key in (user.name, "@" + user.name, user.id)}
    result: dict[str, Any] = {}
    elements = {str(block.get("block_id")): block.get("element") or {} for block in input_blocks(view)}
    for key, raw in values.items():
        element = elements.get(key)
        if element is None:
            element = next((e for e in elements.values() if e.get("action_id") == key), {})
        kind = str(element.get("type") or "")
        if kind.startswith("multi_") or kind == "checkboxes":
            items = [item.strip() for item in str(raw).split(",") if item.strip()]
            if "users" in kind:
                result[key] = [by_name.get(item, item) for item in items]
            else:
                result[key] = [_option_value(Control(0, "", element), item) for item in items]
        elif kind == "users_select":
            result[key] = by_name.get(str(raw).strip(), str(raw).strip())
        elif element.get("options") or element.get("option_groups"):
            result[key] = _option_value(Control(0, "", element), str(raw))
        else:
            result[key] = raw
    return result
