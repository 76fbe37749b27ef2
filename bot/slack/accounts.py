"""Account commands: connect, status, disconnect and help, and the Disconnect button."""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services.errors import LinkExpired
from bot.services.linked_accounts import LinkedAccounts
from bot.services.linking import LinkingService
from bot.slack.after_ack import AfterAck
from bot.slack.connect_prompt import (
    CONNECT_ACTION,
    DISCONNECT_ACTION,
    connect_button,
    connect_prompt,
    disconnect_button,
)
from bot.slack.dependencies import inject
from bot.slack.formatting import escape_clipped, slack_date, typed_text, unescape
from bot.slack.profiles import SlackProfiles
from bot.slack.replies import Blocks, Replies, Reply
from bot.slack.router import CommandRouter, Invocation, Subcommand
from bot.slack.workspaces import workspace_key

TAKES = ("invocation", "reply")  # what the router passes every subcommand


async def connect(
    invocation: Invocation, reply: Reply, *, accounts: LinkedAccounts, linking: LinkingService
) -> None:
    link = await accounts.link_of(invocation.team_id, invocation.user_id)
    url = linking.connect_url(invocation.team_id, invocation.user_id)
    if link is None:
        text, blocks = connect_prompt(url)
        await reply.send(text, blocks)
        return
    if link.expired:
        text, blocks = connect_prompt(url, reason=LinkExpired())
        await reply.send(text, blocks)
        return
    text = f"You are linked to Webex as *{link.email or link.webex_id}* on site *{link.site}*."
    await reply.send(
        text,
        [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "elements": [connect_button(url, "Reconnect"), disconnect_button()],
            },
        ],
    )


async def status(
    invocation: Invocation, reply: Reply, *, accounts: LinkedAccounts, linking: LinkingService
) -> None:
    link = await accounts.link_of(invocation.team_id, invocation.user_id)
    if link is None:
        text, blocks = connect_prompt(linking.connect_url(invocation.team_id, invocation.user_id))
        await reply.send("You have not linked a Webex account yet. " + text, blocks)
        return
    renew = _date(link.refresh_expires_at, "{date_long}") if link.refresh_expires_at else "when Webex asks"
    state = (
        ":warning: *Expired*: Webex no longer accepts this link. Run `/webex connect` to renew it."
        if link.expired
        else f":white_check_mark: Working. Webex wants it renewed by {renew}; the bot renews it by itself "
        "a week before, so there is nothing for you to do."
    )
    lines = [
        f"*Webex account:* {link.email or link.webex_id} (user name `{link.webex_id}`)",
        f"*Site:* {link.site}",
        f"*Permissions:* {', '.join(_scope_words(scope) for scope in link.scopes) or 'none'}",
        f"*Linked since:* {_date(link.created_at, '{date_short}')}",
        f"*Last renewed:* {_date(link.updated_at, '{date_short}')}",
        f"*Status:* {state}",
    ]
    text = "\n".join(lines)
    await reply.send(text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


_SCOPES = {
    "all_read": "read your meetings and profile",
    "meeting_modify": "create, change and cancel your meetings",
    "user_modify": "change your Webex profile",
    "recording_modify": "manage your recordings",
    "setting_modify": "change site settings",
    # The REST API's names for the same permissions.
    "meeting:schedules_read": "read your meetings",
    "meeting:schedules_write": "create, change and cancel your meetings",
    "spark:people_read": "read your profile",
    "meeting:recordings_read": "read your recordings",
}


def _date(instant: Any, fmt: str) -> str:
    """A date every reader sees in their own time zone, with the plain date as the fallback."""
    return slack_date(instant, f"{instant:%Y-%m-%d}", fmt)


def _scope_words(scope: str) -> str:
    return _SCOPES.get(scope, scope)


async def disconnect(
    invocation: Invocation, reply: Reply, *, accounts: LinkedAccounts, profiles: SlackProfiles
) -> None:
    await reply.send(await disconnect_user(accounts, profiles, invocation.team_id, invocation.user_id))


async def disconnect_user(
    accounts: LinkedAccounts, profiles: SlackProfiles, team_id: str, user_id: str
) -> str:
    link = await accounts.disconnect(team_id, user_id)
    profiles.forget(team_id, user_id)
    if link is None:
        return "There was no Webex account linked to you, so there was nothing to delete."
    return (
        f"Disconnected. I deleted your Webex access and refresh tokens for *{link.email or link.webex_id}* "
        f"on site *{link.site}*, any sign-in in progress, and my reminders of your meetings. Your meetings "
        "stay on Webex. "
        "Run `/webex connect` to link again."
    )


def help_subcommand(router: CommandRouter) -> Subcommand:
    help_ = HelpMessages(router)

    def help_for(invocation: Invocation) -> tuple[str, Blocks]:
        return help_.answer(unknown=invocation.args if not invocation.subcommand else "")

    async def show_help(invocation: Invocation, reply: Reply) -> None:
        text, blocks = help_for(invocation)
        await reply.send(text, blocks)

    return Subcommand(
        names=("help",),
        run=show_help,
        usage="/webex help",
        summary="This list.",
        instant=help_for,  # the help needs no I/O: it goes out in the ack itself
    )


UNKNOWN_WORD_LIMIT = 40
SUGGESTION_LIMIT = 300


class HelpMessages:
    """The help, its list of subcommands written once (again only if a subcommand is added later)."""

    def __init__(self, router: CommandRouter) -> None:
        self._router = router
        self._listed = -1
        self._listing = ""
        self._plain: tuple[str, Blocks] = ("", [])

    def answer(self, *, unknown: str = "") -> tuple[str, Blocks]:
        if len(self._router.subcommands) != self._listed:
            self._listed = len(self._router.subcommands)
            self._listing = _listing(self._router)
            self._plain = _message(INTRO, self._listing)
        word, _, rest = unknown.strip().partition(" ")
        if not word:
            return self._plain
        # The word is echoed as typed: cut, then escaped, so any word keeps the help within Slack's limits.
        echoed = escape_clipped(unescape(word), UNKNOWN_WORD_LIMIT)
        meant = self._meant(word.lower())
        if meant is None:
            return _message(f"I don't know `{echoed}`. Here is what I can do:", self._listing)
        # A typo: the command as it was probably meant, with the rest of what was typed, ready to copy.
        typed = " ".join(f"/webex {meant} {typed_text(rest)}".split()).replace("`", "'")
        again = escape_clipped(typed, SUGGESTION_LIMIT)
        intro = f"I don't know `{echoed}`. Did you mean `{again}`? Here is what I can do:"
        return _message(intro, self._listing)

    def _meant(self, word: str) -> str | None:
        """The subcommand name a mistyped word is closest to, if one is close (`schedul`: `schedule`)."""
        names = [name for sub in self._router.subcommands if sub.listed for name in sub.names]
        close = get_close_matches(word, names, n=1, cutoff=0.75)
        return close[0] if close else None


INTRO = "Here is what `/webex` can do:"


def _listing(router: CommandRouter) -> str:
    return "\n".join(
        f"• `{sub.usage}`: {sub.summary}{_aliases(sub)}" for sub in router.subcommands if sub.listed
    )


def _message(intro: str, listing: str) -> tuple[str, Blocks]:
    text = intro + "\n" + listing
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _aliases(sub: Subcommand) -> str:
    """The other words that run a subcommand, from its names: what its usage does not show already."""
    shown = set(re.findall(r"[a-z]+", sub.usage))
    others = [f"`{name}`" for name in sub.names if name not in shown]
    return f" (also {', '.join(others)})" if others else ""


def register(app: AsyncApp, router: CommandRouter, dependencies: Mapping[str, object]) -> None:
    router.add(
        Subcommand(
            names=("connect", "link", "login", "signin"),
            run=inject(connect, dependencies, takes=TAKES),
            usage="/webex connect",
            summary="Link your Webex account (or see which one is linked).",
        )
    )
    router.add(
        Subcommand(
            names=("status", "whoami"),
            run=inject(status, dependencies, takes=TAKES),
            usage="/webex status",
            summary="Which Webex account is linked, its site and permissions, and when it needs renewing.",
        )
    )
    router.add(
        Subcommand(
            names=("disconnect", "signout", "logout", "unlink"),
            run=inject(disconnect, dependencies, takes=TAKES),
            usage="/webex disconnect",
            summary="Delete your Webex tokens and your meetings' reminders from the bot.",
        )
    )
    helper = help_subcommand(router)
    router.add(helper)
    router.fallback = helper
    app.action(CONNECT_ACTION)(ack_only)
    app.action(DISCONNECT_ACTION)(inject(on_disconnect, dependencies, takes=("ack", "body")))


async def ack_only(ack: AsyncAck) -> None:
    await ack()  # a link button opens in the browser; Slack still tells us about the click


async def on_disconnect(
    ack: AsyncAck,
    body: dict[str, Any],
    *,
    accounts: LinkedAccounts,
    profiles: SlackProfiles,
    replies: Replies,
    after_ack: AfterAck,
) -> None:
    await ack()
    team_id = workspace_key(body)
    user_id = body["user"]["id"]
    reply = replies.to(body.get("response_url"), user_id, (body.get("channel") or {}).get("id"))

    async def work() -> None:
        await reply.send(await disconnect_user(accounts, profiles, team_id, user_id), replace=True)

    after_ack.run(work, team_id=team_id, user_id=user_id, reply=reply, what="disconnect")
