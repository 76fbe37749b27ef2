"""Account commands: connect, status, disconnect and help, and the Connect button everyone reuses."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services.errors import LinkExpired, NeedsConnect
from bot.slack.formatting import escape_clipped, unescape
from bot.slack.replies import Blocks, Reply
from bot.slack.router import CommandRouter, Invocation, Subcommand

if TYPE_CHECKING:
    from bot.bootstrap import Services

CONNECT_ACTION = "connect_webex"
DISCONNECT_ACTION = "disconnect_webex"


def connect_button(url: str, label: str = "Connect Webex") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": CONNECT_ACTION,
        "text": {"type": "plain_text", "text": label},
        "url": url,
        "style": "primary",
    }


def connect_prompt(
    url: str, *, reason: NeedsConnect | None = None, resumes: bool = False
) -> tuple[str, Blocks]:
    """The message with the Connect button, worded for why it is shown."""
    if isinstance(reason, LinkExpired):
        lead = "Your Webex link has expired, so the bot can no longer act for you. Please reconnect."
    elif reason is not None:
        lead = "To do that, link your Webex account first. It takes under a minute."
    else:
        lead = "Link your Webex account so webex-bot can schedule and manage meetings for you."
    after = (
        " When you are done, I will finish what you asked for." if resumes else " Then try `/webex schedule`."
    )
    text = lead + after
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": [connect_button(url)]},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "You will sign in on your Webex site and approve access. "
                    "The bot stores your Webex tokens encrypted and never sees your password.",
                }
            ],
        },
    ]
    return text, blocks


async def connect(invocation: Invocation, reply: Reply, services: Services) -> None:
    link = await services.links.get(invocation.team_id, invocation.user_id)
    url = services.linking.connect_url(invocation.team_id, invocation.user_id)
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


def disconnect_button() -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": DISCONNECT_ACTION,
        "text": {"type": "plain_text", "text": "Disconnect"},
        "style": "danger",
        "value": "disconnect",
        "confirm": {
            "title": {"type": "plain_text", "text": "Disconnect Webex?"},
            "text": {
                "type": "mrkdwn",
                "text": "The bot will delete your Webex tokens and stop acting for you. "
                "Your meetings stay on Webex.",
            },
            "confirm": {"type": "plain_text", "text": "Disconnect"},
            "deny": {"type": "plain_text", "text": "Keep"},
        },
    }


async def status(invocation: Invocation, reply: Reply, services: Services) -> None:
    link = await services.links.get(invocation.team_id, invocation.user_id)
    if link is None:
        text, blocks = connect_prompt(services.linking.connect_url(invocation.team_id, invocation.user_id))
        await reply.send("You have not linked a Webex account yet. " + text, blocks)
        return
    renew = slack_date(link.refresh_expires_at, "date_long") if link.refresh_expires_at else "when Webex asks"
    state = (
        ":warning: *Expired*: Webex no longer accepts this link. Run `/webex connect` to renew it."
        if link.expired
        else ":white_check_mark: Working. Unless you use the bot before then, "
        f"you will need to reconnect by {renew}."
    )
    lines = [
        f"*Webex account:* {link.email or link.webex_id} (user name `{link.webex_id}`)",
        f"*Site:* {link.site}",
        f"*Permissions:* {', '.join(_scope_words(scope) for scope in link.scopes) or 'none'}",
        f"*Linked since:* {slack_date(link.created_at, 'date_short')}",
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
}


def slack_date(instant: datetime, token: str) -> str:
    """A date every reader sees in their own time zone (Slack's date formatting), with a plain fallback."""
    return f"<!date^{int(instant.timestamp())}^{{{token}}}|{instant:%Y-%m-%d}>"


def _scope_words(scope: str) -> str:
    return _SCOPES.get(scope, scope)


async def disconnect(invocation: Invocation, reply: Reply, services: Services) -> None:
    await reply.send(await disconnect_user(services, invocation.team_id, invocation.user_id))


async def disconnect_user(services: Services, team_id: str, user_id: str) -> str:
    link = await services.links.get(team_id, user_id)
    await services.tokens.forget_user(team_id, user_id)
    services.profiles.forget(team_id, user_id)
    if link is None:
        return "There was no Webex account linked to you, so there was nothing to delete."
    return (
        f"Disconnected. I deleted your Webex access and refresh tokens for *{link.email or link.webex_id}* "
        f"on site *{link.site}*, and any sign-in in progress. Your meetings stay on Webex. "
        "Run `/webex connect` to link again."
    )


def help_subcommand(router: CommandRouter) -> Subcommand:
    async def show_help(invocation: Invocation, reply: Reply, services: Services) -> None:
        text, blocks = help_message(router, unknown=invocation.args if not invocation.subcommand else "")
        await reply.send(text, blocks)

    return Subcommand(
        names=("help",),
        run=show_help,
        usage="/webex help",
        summary="this list",
    )


UNKNOWN_WORD_LIMIT = 40


def help_message(router: CommandRouter, *, unknown: str = "") -> tuple[str, Blocks]:
    word = unknown.split(maxsplit=1)[0] if unknown.strip() else ""
    # The word is echoed as typed: cut, then escaped, so any word keeps the help within Slack's limits.
    echoed = escape_clipped(unescape(word), UNKNOWN_WORD_LIMIT)
    intro = f"I don't know `{echoed}`. Here is what I can do:" if word else "Here is what `/webex` can do:"
    lines = [f"• `{sub.usage}`: {sub.summary}{_aliases(sub)}" for sub in router.subcommands if sub.listed]
    text = intro + "\n" + "\n".join(lines)
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _aliases(sub: Subcommand) -> str:
    """The other words that run a subcommand, from its names: what its usage does not show already."""
    shown = set(re.findall(r"[a-z]+", sub.usage))
    others = [f"`{name}`" for name in sub.names if name not in shown]
    return f" (also {', '.join(others)})" if others else ""


def register(app: AsyncApp, router: CommandRouter, services: Services) -> None:
    router.add(
        Subcommand(
            names=("connect", "link", "login", "signin"),
            run=connect,
            usage="/webex connect",
            summary="link your Webex account (or see which one is linked)",
        )
    )
    router.add(
        Subcommand(
            names=("status", "whoami"),
            run=status,
            usage="/webex status",
            summary="which Webex account is linked, its site and permissions, and when it needs renewing",
        )
    )
    router.add(
        Subcommand(
            names=("disconnect", "signout", "logout", "unlink"),
            run=disconnect,
            usage="/webex disconnect",
            summary="delete your Webex tokens from the bot",
        )
    )
    helper = help_subcommand(router)
    router.add(helper)
    router.fallback = helper

    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async def on_disconnect(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        team_id = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")
        user_id = body["user"]["id"]
        reply = router.reply_for(body.get("response_url"), user_id, (body.get("channel") or {}).get("id"))

        async def work() -> None:
            await reply.send(await disconnect_user(services, team_id, user_id), replace=True)

        services.work.spawn(
            router.guarded(
                work, team_id=team_id, user_id=user_id, reply=reply, pending=None, what="disconnect"
            ),
            name="disconnect button",
        )

    app.action(CONNECT_ACTION)(ack_only)
    app.action(DISCONNECT_ACTION)(on_disconnect)
