"""The sandbox escapes slash-command text as Slack does for an app with `should_escape: true`."""

from __future__ import annotations

import pytest

from bot.sandbox import SANDBOX_CHANNELS, SANDBOX_USERS, escape_command_text
from bot.sandbox.escaping import CommandText

KNOWN = CommandText.of(SANDBOX_USERS, SANDBOX_CHANNELS)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("with @ana @li", "with <@U_ANA|ana> <@U_LI|li>"),
        ("with @Ana, @li.", "with <@U_ANA|ana>, <@U_LI|li>."),
        ("ask @nobody and @bob", "ask @nobody and <@U_BOB|bob>"),
        ("ping @here and @channel", "ping <!here> and <!channel>"),
        ("in #sandbox not #nowhere", "in <#C_SANDBOX|sandbox> not #nowhere"),
        ("with ops@example.com", "with <mailto:ops@example.com|ops@example.com>"),
        ("see https://example.com/a?b=1&c=2.", "see <https://example.com/a?b=1&amp;c=2>."),
        ('"a </confName> & ]]> <b>"', '"a &lt;/confName&gt; &amp; ]]&gt; &lt;b&gt;"'),
        ("R&D review 3pm", "R&amp;D review 3pm"),
        # What Slack's autocomplete inserted is already escaped and passes unchanged.
        ("with <@U_BOB|bob> <#C_GENERAL|general>", "with <@U_BOB|bob> <#C_GENERAL|general>"),
        ("Issue #12 at 3pm", "Issue #12 at 3pm"),
        ("(see https://x.io/a_(b)) or https://x.io/c)", "(see <https://x.io/a_(b)>) or <https://x.io/c>)"),
        ("C# and F#, mail ana@x.io @ana.", "C# and F#, mail <mailto:ana@x.io|ana@x.io> <@U_ANA|ana>."),
    ],
)
def test_text_is_escaped_as_slack_sends_it(typed: str, sent: str) -> None:
    assert escape_command_text(typed, KNOWN) == sent


def test_an_unknown_workspace_leaves_every_name_as_typed() -> None:
    assert escape_command_text("with @ana #sandbox", CommandText.of((), ())) == "with @ana #sandbox"
