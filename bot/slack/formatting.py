"""Slack's text formats: mrkdwn escaping, cutting to Slack's limits, and a command's text read back."""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["clip_mrkdwn", "escape", "escape_clipped", "typed_links", "typed_text", "unescape"]


def escape(text: str) -> str:
    """Text shown inside mrkdwn exactly as typed (Slack's three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Text Slack sent (a command's text arrives with `&`, `<` and `>` escaped) as the person typed it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def typed_text(text: str) -> str:
    """A command's text as the person typed it: Slack's mentions and links back to their labels
    (`<@U1|ana>` -> `@ana`, `<#C1|general>` -> `#general`, `<!here>` -> `@here`), entities unescaped."""

    def label(m: re.Match[str]) -> str:
        inner, _, shown = m[1].partition("|")
        if inner.startswith(("@", "#")):
            return inner[0] + shown if shown else inner
        if inner.startswith("!"):
            return shown or "@" + inner[1:].split("^")[0]
        return shown or inner.removeprefix("mailto:")

    return unescape(_SLACK_TOKEN.sub(label, text))


def typed_links(text: str) -> str:
    """A command's text with Slack's links back to the addresses they point at, labels dropped
    (`<https://x?a=1&amp;b=2|Join>` -> `https://x?a=1&b=2`), entities unescaped."""
    return unescape(_SLACK_TOKEN.sub(lambda m: m[1].partition("|")[0], text))


def escape_clipped(text: str, limit: int) -> str:
    """`text` as typed, cut so that its escaped form fits `limit`, then escaped: a cut never lands
    inside an entity (`R&am…`), and the ellipsis says something was left out."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    kept, used = [], 0
    for character in text:
        piece = escape(character)
        if used + len(piece) > limit - 1:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"


def clip_mrkdwn(text: str, limit: int) -> str:
    """Cut mrkdwn to a Slack limit without breaking an entity (`&amp;`) or a token (`<!date^…>`).

    Texts with what people typed are already cut by `escape_clipped`; this is the last guard."""
    if len(text) <= limit:
        return text
    cut = limit - 1
    opened = text.rfind("<", 0, cut)
    if opened > text.rfind(">", 0, cut):
        cut = opened
    ampersand = text.rfind("&", max(0, cut - 4), cut)
    if ampersand != -1 and ";" not in text[ampersand:cut]:
        cut = ampersand
    return text[:cut] + "…"


def slack_date(instant: datetime, fallback: str, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack's date token: every reader sees the time in their own zone; the fallback is ours."""
    return f"<!date^{int(instant.timestamp())}^{fmt}|{escape(fallback)}>"
