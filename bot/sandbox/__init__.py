"""Slack without Slack: a stand-in Web API, signed requests to the bot, the `webex-bot sandbox` console."""

from __future__ import annotations

from bot.sandbox.driver import Exchange, SlackDriver
from bot.sandbox.escaping import escape_command_text
from bot.sandbox.signing import SignatureMode, SignedRequest, SlackSigner, sign
from bot.sandbox.slackapi import Fault, SlackStandIn, StandInTimeout
from bot.sandbox.users import SANDBOX_USERS, sandbox_users
from bot.sandbox.workspace import SANDBOX_CHANNELS, RecordedCall, ResponseTarget, SlackChannel, SlackUser

__all__ = [
    "SANDBOX_CHANNELS",
    "SANDBOX_USERS",
    "Exchange",
    "Fault",
    "RecordedCall",
    "ResponseTarget",
    "SignatureMode",
    "SignedRequest",
    "SlackChannel",
    "SlackDriver",
    "SlackSigner",
    "SlackStandIn",
    "SlackUser",
    "StandInTimeout",
    "escape_command_text",
    "sandbox_users",
    "sign",
]
