"""Block Kit and Slack mrkdwn as plain terminal text, with every button numbered so it can be pressed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Control", "mrkdwn_to_text", "render_blocks", "render_view"]

_EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "warning": "⚠️",
    "x": "❌",
    "no_entry": "⛔",
    "information_source": "ℹ️",
    "calendar": "📅",
    "spiral_calendar_pad": "🗓",
    "date": "📅",
    "clock1": "🕐",
    "alarm_clock": "⏰",
    "link": "🔗",
    "lock": "🔒",
    "key": "🔑",
    "wave": "👋",
    "tada": "🎉",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "mag": "🔍",
    "bulb": "💡",
    "video_camera": "📹",
    "busts_in_silhouette": "👥",
    "bust_in_silhouette": "👤",
    "arrows_counterclockwise": "🔄",
    "wastebasket": "🗑",
    "pencil2": "✏️",
    "memo": "📝",
}

_ANGLE = re.compile(r"<([^<>]+)>")
_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])")


@dataclass(frozen=True)
class Control:
    """A pressable element shown with a number: a button, a select or an overflow menu."""

    number: int
    action_id: str
    element: Mapping[str, Any]

    @property
    def label(self) -> str:
        return _plain(self.element.get("text")) or str(self.element.get("action_id"))

    @property
    def url(self) -> str | None:
        url = self.element.get("url")
        return url if isinstance(url, str) else None

    @property
    def options(self) -> list[Mapping[str, Any]]:
        options = list(self.element.get("options") or [])
        for group in self.element.get("option_groups") or []:
            options.extend(group.get("options") or [])
        return options

    @property
    def confirm(self) -> str | None:
        confirm = self.element.get("confirm")
        if not isinstance(confirm, Mapping):
            return None
        return _plain(confirm.get("title")) or "Are you sure?"


NameOf = Callable[[str], str]


def mrkdwn_to_text(text: str, name_of: NameOf | None = None) -> str:
    """Slack mrkdwn as a terminal shows it: dates by their fallback, links as `label (url)`, @names, emoji."""

    def angle(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("!date^"):
            return label or target
        if target.startswith("@"):
            user_id = target[1:]
            return "@" + (label or (name_of(user_id) if name_of else user_id))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@group"
        if target.startswith("!"):
            return "@" + target[1:]
        if label and label != target:
            return f"{label} ({target})"
        return target

    text = _ANGLE.sub(angle, text)
    text = _EMOJI_CODE.sub(lambda m: _EMOJI.get(m.group(1), m.group(0)), text)
    text = _BOLD.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain(obj: Any, name_of: NameOf | None = None) -> str:
    if isinstance(obj, Mapping):
        text = str(obj.get("text") or "")
        return mrkdwn_to_text(text, name_of) if obj.get("type") == "mrkdwn" else text
    return str(obj) if obj is not None else ""


class _Numbering:
    def __init__(self, first: int) -> None:
        self.next = first
        self.controls: list[Control] = []

    def add(self, element: Mapping[str, Any]) -> Control:
        control = Control(number=self.next, action_id=str(element.get("action_id") or ""), element=element)
        self.next += 1
        self.controls.append(control)
        return control


def _control_text(control: Control) -> str:
    kind = control.element.get("type")
    if kind == "button":
        arrow = " ↗" if control.url else ""
        return f"[{control.number}] {control.label}{arrow}"
    placeholder = (
        _plain(control.element.get("placeholder")) or _plain(control.element.get("text")) or "choose"
    )
    choices = ", ".join(_plain(option.get("text")) for option in control.options)
    if choices:
        return f"[{control.number}] {placeholder} ▾ ({choices})"
    return f"[{control.number}] {placeholder} ▾"


def render_blocks(
    blocks: Sequence[Mapping[str, Any]],
    *,
    first_number: int = 1,
    fallback_text: str | None = None,
    name_of: NameOf | None = None,
    values: Mapping[str, str] | None = None,
) -> tuple[list[str], list[Control]]:
    """Lines of text for `blocks` and the controls numbered from `first_number`, in reading order.

    Input blocks show their label and, when `values` holds one for the block_id, what was typed.
    """
    numbering = _Numbering(first_number)
    lines: list[str] = []
    if not blocks and fallback_text:
        lines.extend(mrkdwn_to_text(fallback_text, name_of).splitlines())
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _plain(block.get("text"), name_of)
            lines.append(title)
            lines.append("━" * min(len(title), 60))
        elif kind == "section":
            text = _plain(block.get("text"), name_of)
            if text:
                lines.extend(text.splitlines())
            for field in block.get("fields") or []:
                # A field is usually "*Label*\nvalue": one line reads better in a terminal.
                label, *rest = _plain(field, name_of).splitlines() or [""]
                lines.append(f"  {label}: {' '.join(rest)}" if rest else f"  {label}")
            accessory = block.get("accessory")
            if isinstance(accessory, Mapping) and accessory.get("type") not in ("image",):
                lines.append(_control_text(numbering.add(accessory)))
        elif kind == "context":
            parts = []
            for element in block.get("elements") or []:
                if element.get("type") == "image":
                    continue
                parts.append(_plain(element, name_of))
            if parts:
                lines.extend("  " + line for line in " · ".join(parts).splitlines())
        elif kind == "actions":
            texts = [_control_text(numbering.add(element)) for element in block.get("elements") or []]
            if texts:
                lines.append("  ".join(texts))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text') or ''}]")
        elif kind == "input":
            label = _plain(block.get("label"), name_of)
            optional = " (optional)" if block.get("optional") else ""
            block_id = str(block.get("block_id") or "")
            typed = (values or {}).get(block_id) or initial_text(block.get("element") or {}, name_of)
            shown = f": {typed}" if typed else ""
            hint = _plain(block.get("hint"), name_of)
            lines.append(f"{label}{optional}{shown}   [{block_id}]")
            if hint:
                lines.append(f"  {hint}")
        elif kind == "rich_text":
            lines.extend(_rich_text(block).splitlines())
    return lines, numbering.controls


def _rich_text(block: Mapping[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "text":
                out.append(str(node.get("text") or ""))
            elif node.get("type") == "link":
                out.append(str(node.get("text") or node.get("url") or ""))
            elif node.get("type") == "emoji":
                out.append(_EMOJI.get(str(node.get("name")), f":{node.get('name')}:"))
            for child in node.get("elements") or []:
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(block.get("elements") or [])
    return "".join(out)


def render_view(
    view: Mapping[str, Any],
    *,
    first_number: int = 1,
    name_of: NameOf | None = None,
    values: Mapping[str, str] | None = None,
) -> tuple[list[str], list[Control]]:
    """A modal or Home tab: its title, its blocks, and its Submit/Close buttons as words."""
    title = _plain(view.get("title"), name_of)
    lines = [f"┌ {title}" if title else "┌"]
    body, controls = render_blocks(
        view.get("blocks") or [], first_number=first_number, name_of=name_of, values=values
    )
    lines.extend("│ " + line for line in body)
    buttons = [f"{_plain(view.get(key))}" for key in ("close", "submit") if view.get(key)]
    if buttons:
        lines.append("└ " + " · ".join(buttons))
    else:
        lines.append("└")
    return lines, controls


def initial_text(element: Mapping[str, Any], name_of: NameOf | None = None) -> str:
    """What an input shows before the user touches it."""
    for key in ("initial_value", "initial_date", "initial_time", "initial_date_time", "initial_conversation"):
        if element.get(key) not in (None, ""):
            return str(element[key])
    if element.get("initial_user"):
        return "@" + (name_of(element["initial_user"]) if name_of else element["initial_user"])
    if element.get("initial_users"):
        return ", ".join("@" + (name_of(u) if name_of else u) for u in element["initial_users"])
    if isinstance(element.get("initial_option"), Mapping):
        return _plain(element["initial_option"].get("text"))
    if element.get("initial_options"):
        return ", ".join(_plain(option.get("text")) for option in element["initial_options"])
    return ""


def input_blocks(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The input blocks of a view, in order."""
    return [block for block in view.get("blocks") or [] if block.get("type") == "input"]
