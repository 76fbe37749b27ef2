"""What a submitted schedule or edit form holds: every input the form has, each with its kind of value.

Slack always sends every input block of a submitted view, empty ones included, so a submission missing one,
or carrying a value of the wrong kind (text where a date belongs), did not come from the form the bot
opened; it is refused with 400 before any listener reads it (see bot/slack/payloads.py).
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.slack.meetings import blocks


def _iso_date(text: str) -> str:
    date.fromisoformat(text)
    return text


def _iso_time(text: str) -> str:
    time.fromisoformat(text)
    return text


class _State(BaseModel):
    model_config = ConfigDict(extra="allow")


class Option(_State):
    value: str


class TextState(_State):
    value: str | None = None


class DateState(_State):
    selected_date: Annotated[str, AfterValidator(_iso_date)] | None = None


class TimeState(_State):
    selected_time: Annotated[str, AfterValidator(_iso_time)] | None = None


class SelectState(_State):
    selected_option: Option | None = None


class UsersState(_State):
    selected_users: list[str] = Field(default_factory=list)


class OptionsState(_State):
    selected_options: list[Option] = Field(default_factory=list)


# Each input block holds one element, whose action_id is blocks.VALUE ("value").
class TextInput(_State):
    value: TextState


class DateInput(_State):
    value: DateState


class TimeInput(_State):
    value: TimeState


class SelectInput(_State):
    value: SelectState


class UsersInput(_State):
    value: UsersState


class OptionsInput(_State):
    value: OptionsState


class EditFormState(_State):
    """`view.state.values` of the edit form."""

    topic: TextInput = Field(alias=blocks.TOPIC)
    day: DateInput = Field(alias=blocks.DATE)
    clock_time: TimeInput = Field(alias=blocks.TIME)
    duration: SelectInput = Field(alias=blocks.DURATION)
    invitees: UsersInput = Field(alias=blocks.INVITEES)
    emails: TextInput = Field(alias=blocks.EMAILS)
    agenda: TextInput = Field(alias=blocks.AGENDA)


class ScheduleFormState(EditFormState):
    """`view.state.values` of the schedule form: the edit form's inputs, a password and the share box
    (offered only where there is a channel to post in)."""

    password: TextInput = Field(alias=blocks.PASSWORD)
    post: OptionsInput | None = Field(default=None, alias=blocks.POST)


FORM_STATES: dict[str, type[BaseModel]] = {
    blocks.SCHEDULE_VIEW: ScheduleFormState,
    blocks.EDIT_VIEW: EditFormState,
}
