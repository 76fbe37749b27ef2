"""Recoverable work after the ack: journaled before it runs, run from its record alone, marked answered
once answered, and run again from the record (by kind) when another process takes it over."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.observability import Metrics, Tracing
from bot.runtime import BackgroundWork
from bot.services.errors import AnsweredElsewhere
from bot.slack.after_ack import AfterAck, Answer, Recoverable
from bot.slack.guard import Guard
from bot.slack.replies import Blocks, Reply


class Journal:
    """An in-memory journal: what was accepted, and how each was answered."""

    def __init__(self, *, fails: bool = False) -> None:
        self.accepted: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.outcomes: dict[str, str] = {}
        self.fails = fails

    async def accept(self, key: str, team_id: str, user_id: str, command: dict[str, Any]) -> bool:
        if self.fails:
            raise ConnectionError("the database is down")
        if key in self.accepted:
            return False
        self.accepted[key] = (team_id, user_id, command)
        return True

    async def answered(self, key: str, outcome: str) -> bool:
        self.outcomes[key] = outcome
        return True

    async def kept(self, key: str, team_id: str, user_id: str) -> dict[str, Any] | None:
        if key not in self.accepted or self.accepted[key][:2] != (team_id, user_id):
            return None
        return self.accepted[key][2]


class Said:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.blocks: list[Blocks | None] = []

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        self.texts.append(text)
        self.blocks.append(blocks)


class Ran:
    """A recoverable kind's work: what it was run with."""

    def __init__(self, fails: bool = False) -> None:
        self.runs: list[tuple[dict[str, Any], str, str]] = []
        self.fails = fails

    async def __call__(self, record: dict[str, Any], team_id: str, user_id: str, reply: Reply) -> None:
        self.runs.append((record, team_id, user_id))
        if self.fails:
            raise RuntimeError("Webex said no")
        await reply.send(f"done {record['value']}")


def after_ack(journal: Journal | None) -> tuple[AfterAck, BackgroundWork]:
    work = BackgroundWork()
    guard = Guard(
        lambda team_id, user_id, pending=None, extra_scopes=(): "", Metrics(process=False), Tracing()
    )
    return AfterAck(work, guard, journal), work


async def finished(work: BackgroundWork) -> None:
    assert await work.drain(5) == 0


async def test_a_kind_is_journaled_then_run_from_its_record_and_marked_answered() -> None:
    journal, ran, said = Journal(), Ran(), Said()
    runner, work = after_ack(journal)
    runner.recoverable(Recoverable("button:meeting.cancel", "cancel meeting", ran))
    record = {"value": "m1", "trigger_id": "t1"}
    runner.start(
        "button:meeting.cancel",
        record,
        team_id="T1",
        user_id="U1",
        reply=said,
        answer=Answer("https://hooks.slack.com/actions/1"),
        unique="t1",
    )
    await finished(work)
    key = "button:meeting.cancel:T1:U1:t1"
    assert journal.accepted[key] == (
        "T1",
        "U1",
        {
            "kind": "button:meeting.cancel",
            "record": record,
            "response_url": "https://hooks.slack.com/actions/1",
            "reply_channel": None,
        },
    )
    assert ran.runs == [(record, "T1", "U1")] and said.texts == ["done m1"]
    assert journal.outcomes == {key: "ok"}


async def test_a_failure_is_answered_and_closed_too() -> None:
    journal, said = Journal(), Said()
    runner, work = after_ack(journal)
    runner.recoverable(Recoverable("form:x", "x form", Ran(fails=True)))
    runner.start("form:x", {"value": 1}, team_id="T1", user_id="U1", reply=said, answer=Answer(), unique="V1")
    await finished(work)
    assert journal.outcomes == {"form:x:T1:U1:V1": "failed"}
    assert len(said.texts) == 1  # the guard's honest message; not run again by anyone


async def test_a_failure_is_answered_with_what_its_kind_offers_from_the_record() -> None:
    said = Said()
    runner, work = after_ack(Journal())
    offered: list[tuple[Any, ...]] = []

    def offer(
        record: dict[str, Any], team_id: str, user_id: str, error: Exception, text: str
    ) -> list[dict[str, Any]] | None:
        offered.append((record, team_id, user_id, type(error), text))
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, {"type": "actions"}]

    runner.recoverable(Recoverable("form:x", "x form", Ran(fails=True), offer=offer))
    runner.start("form:x", {"value": 5}, team_id="T1", user_id="U1", reply=said, answer=Answer(), unique="V1")
    await finished(work)
    [(record, team_id, user_id, kind, text)] = offered
    assert (record, team_id, user_id, kind) == ({"value": 5}, "T1", "U1", RuntimeError)
    assert said.texts == [text] and said.blocks[0] is not None and said.blocks[0][1] == {"type": "actions"}


async def test_an_offer_that_fails_still_lets_the_explanation_out() -> None:
    said = Said()
    runner, work = after_ack(Journal())

    def broken(record: dict[str, Any], team_id: str, user_id: str, error: Exception, text: str) -> None:
        raise KeyError("a bug in the offer")

    runner.recoverable(Recoverable("form:x", "x form", Ran(fails=True), offer=broken))
    runner.start("form:x", {"value": 6}, team_id="T1", user_id="U1", reply=said, answer=Answer(), unique="V1")
    await finished(work)
    assert len(said.texts) == 1 and said.blocks == [None]


async def test_a_journaled_record_is_kept_for_its_person_and_kind_only() -> None:
    journal = Journal()
    runner, work = after_ack(journal)
    runner.recoverable(Recoverable("form:x", "x form", Ran()))
    runner.start(
        "form:x", {"value": 7}, team_id="T1", user_id="U1", reply=Said(), answer=Answer(), unique="V1"
    )
    await finished(work)
    assert await runner.kept("form:x", "T1", "U1", "V1") == {"value": 7}
    assert await runner.kept("form:x", "T1", "U2", "V1") is None  # another person's
    assert await runner.kept("form:y", "T1", "U1", "V1") is None  # another kind's
    assert await runner.kept("form:x", "T1", "U1", "") is None


async def test_the_same_request_delivered_again_runs_but_keeps_its_first_journal_entry() -> None:
    journal, ran = Journal(), Ran()
    runner, work = after_ack(journal)
    runner.recoverable(Recoverable("form:x", "x form", ran))
    journal.accepted["form:x:T1:U1:V1"] = ("T1", "U1", {"first": True})
    runner.start(
        "form:x", {"value": 2}, team_id="T1", user_id="U1", reply=Said(), answer=Answer(), unique="V1"
    )
    await finished(work)
    assert len(ran.runs) == 1  # its idempotency record makes it say "Already scheduled"
    assert journal.accepted["form:x:T1:U1:V1"] == ("T1", "U1", {"first": True})
    assert journal.outcomes == {}  # the first delivery answers for the entry


async def test_a_second_delivery_whose_first_is_answering_says_nothing() -> None:
    said = Said()
    runner, work = after_ack(Journal())

    async def waited_for_the_first(record: dict[str, Any], team_id: str, user_id: str, reply: Reply) -> None:
        raise AnsweredElsewhere("the first delivery made the change")

    runner.recoverable(Recoverable("form:x", "x form", waited_for_the_first))
    runner.start("form:x", {"value": 4}, team_id="T1", user_id="U1", reply=said, answer=Answer(), unique="V1")
    await finished(work)
    assert said.texts == []  # one Save pressed twice, one answer: the first delivery's


async def test_taken_over_work_runs_again_by_its_kind_without_the_stale_trigger() -> None:
    journal, ran, said = Journal(), Ran(), Said()
    runner, work = after_ack(journal)
    runner.recoverable(Recoverable("button:meeting.edit", "edit meeting", ran))
    journaled = {"kind": "button:meeting.edit", "record": {"value": "m1", "trigger_id": "t1"}}
    assert runner.recover("button:meeting.edit:T1:U1:t1", "T1", "U1", journaled, said)
    await finished(work)
    # A trigger_id opens a form within 3 seconds: after a takeover there is none to use.
    assert ran.runs == [({"value": "m1", "trigger_id": None}, "T1", "U1")]
    assert journal.accepted == {}  # journaled already, by the process that died
    assert journal.outcomes == {"button:meeting.edit:T1:U1:t1": "ok"} and said.texts == ["done m1"]


async def test_an_unknown_kind_is_closed_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    journal = Journal()
    runner, work = after_ack(journal)
    with caplog.at_level(logging.WARNING):
        assert not runner.recover(
            "form:gone:T1:U1:V1", "T1", "U1", {"kind": "form:gone", "record": {}}, Said()
        )
    await finished(work)
    assert journal.outcomes == {"form:gone:T1:U1:V1": "unknown_kind"}  # not taken over again and again
    assert any("form:gone" in record.getMessage() for record in caplog.records)


def test_a_kind_is_registered_once() -> None:
    runner, _ = after_ack(Journal())
    runner.recoverable(Recoverable("form:x", "x form", Ran()))
    with pytest.raises(ValueError, match="form:x"):
        runner.recoverable(Recoverable("form:x", "another x form", Ran()))
    assert runner.kind("form:x") is not None and runner.kind("form:y") is None


async def test_without_a_journal_or_with_the_database_down_the_work_still_runs() -> None:
    for journal in (None, Journal(fails=True)):
        ran = Ran()
        runner, work = after_ack(journal)
        runner.recoverable(Recoverable("form:x", "x form", ran))
        runner.start("form:x", {"value": 3}, team_id="T1", user_id="U1", reply=Said(), answer=Answer())
        await finished(work)
        assert len(ran.runs) == 1
