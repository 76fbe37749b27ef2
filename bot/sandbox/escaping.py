"""What Slack does to the text of a slash command whose app asks for escaping (`should_escape: true`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.sandbox.workspace import SlackChannel, SlackUser

__all__ = ["CommandText", "escape_command_text"]

# Slack's broadcast mentions: `@here` arrives as `<!here>` whether or not anyone has that name.
_SPECIAL = ("here", "channel", "everyone")

_TOKEN = re.compile(
    r"""
      (?P<escaped><(?:@[UW][A-Z0-9_]+|\#[CG][A-Z0-9_]+|![a-z][^<>]*|https?://[^<>\s]+|mailto:[^<>\s]+)(?:\|[^<>]*)?>)
    | (?P<url>(?<![\w@])https?://[^\s<>]+[^\s<>.,;:!?)\]'"])
    | (?P<email>(?<![\w.%+@-])[\w.%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,63}(?![\w-]))
    | (?<![\w@.%+-])@(?P<name>\w(?:[\w.-]*\w)?)
    | (?<![\w\#&])\#(?P<channel>[\w-]*\w)
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class CommandText:
    """Who and what a command's text can name: the workspace's members and channels."""

    users: tuple[SlackUser, ...]
    channels: tuple[SlackChannel, ...]

    @classmethod
    def of(cls, users: Iterable[SlackUser], channels: Iterable[SlackChannel]) -> CommandText:
        return cls(tuple(users), tuple(channels))

    def user_named(self, name: str) -> SlackUser | None:
        wanted = name.lower()
        for user in self.users:
            if wanted in (user.name.lower(), (user.display_name or "").lower()):
                return user
        return None

    def channel_named(self, name: str) -> SlackChannel | None:
        wanted = name.lower()
        return next((c for c in self.channels if c.name.lower() == wanted), None)


def escape_command_text(text: str, known: CommandText) -> str:
    """The `text` field Slack sends for what a person typed.

    `&`, `<` and `>` become entities; `@name` of a member becomes `<@U…|name>`; `@here`, `@channel`
    and `@everyone` become `<!here>` and so on; `#name` of a channel becomes `<#C…|name>`; web and
    email addresses become links. An `@word` or `#word` nobody in the workspace answers to stays as
    typed, as in Slack. Text already in Slack's form (`<@U…>`, what picking a name from Slack's
    autocomplete inserts) is kept.
    """
    out: list[str] = []
    position = 0
    for m in _TOKEN.finditer(text):
        if m.start() < position:
            continue  # inside a link that took a closing parenthesis
        out.append(_entities(text[position : m.start()]))
        if m["url"]:
            url = _with_closing_parentheses(text, m.start(), m.end())
            out.append(f"<{_entities(url)}>")
            position = m.start() + len(url)
        else:
            out.append(_escaped(m, known))
            position = m.end()
    out.append(_entities(text[position:]))
    return "".join(out)


def _with_closing_parentheses(text: str, start: int, end: int) -> str:
    """A link ends before a `)` unless the link opened one: `(see https://x.io/a_(b))`."""
    while end < len(text) and text[end] == ")" and text.count("(", start, end) > text.count(")", start, end):
        end += 1
    return text[start:end]


def _escaped(m: re.Match[str], known: CommandText) -> str:
    if m["escaped"]:
        return m["escaped"]
    if m["email"]:
        address = _entities(m["email"])
        return f"<mailto:{address}|{address}>"
    if name := m["name"]:
        if name.lower() in _SPECIAL:
            return f"<!{name.lower()}>"
        user = known.user_named(name)
        return f"<@{user.id}|{user.name}>" if user else _entities(m.group())
    channel = known.channel_named(m["channel"])
    return f"<#{channel.id}|{channel.name}>" if channel else _entities(m.group())


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
