"""The XML adapter's recordings: LstRecording pages read to the end and shown newest first with their
playback link; SetRecordingInfo's "no such record" is the port's RecordingNotFound."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.services import ports
from bot.services.ports import Credentials
from bot.webex import errors
from bot.webex.client import WebexCredentials
from bot.webex.values import Recording
from bot.webex.xml_backend import FIND_PAGE_SIZE, XmlMeetingBackend

CREDS = Credentials(site="acme", user_id="alice", access_token="token")
START = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def recording(number: int) -> Recording:
    return Recording(
        recording_id=str(number),
        name=f"Recording {number}",
        created=START + timedelta(hours=number),
        duration_seconds=60 * number,
        stream_url=f"https://acme.webex.com/play/{number}" if number % 2 else "",
        file_url=f"https://acme.webex.com/file/{number}",
        meeting_key="123",
    )


@dataclass
class ScriptedXml:
    rows: tuple[Recording, ...] = ()
    pages: list[int] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    async def list_recordings(self, creds: WebexCredentials, **query: object) -> tuple[Recording, ...]:
        start_from, maximum = int(str(query["start_from"])), int(str(query["maximum"]))
        assert query["created_after"] == START
        self.pages.append(start_from)
        return self.rows[start_from - 1 : start_from - 1 + maximum]

    async def rename_recording(self, creds: WebexCredentials, recording_id: str, name: str) -> None:
        if recording_id != "7":
            raise errors.NoRecordsFound("Sorry, no record found", "000015")
        self.renamed.append((recording_id, name))


async def test_every_page_is_read_and_the_newest_come_first_with_a_playback_link() -> None:
    xml = ScriptedXml(rows=tuple(recording(n) for n in range(1, FIND_PAGE_SIZE + 6)))
    found = await XmlMeetingBackend(xml).list_recordings(CREDS, created_after=START, limit=3)  # type: ignore[arg-type]
    assert xml.pages == [1, FIND_PAGE_SIZE + 1]
    assert [r.recording_id for r in found] == [
        str(FIND_PAGE_SIZE + 5),
        str(FIND_PAGE_SIZE + 4),
        str(FIND_PAGE_SIZE + 3),
    ]
    # The stream link plays in a browser; without one, the file link does.
    assert found[0].playback_url == f"https://acme.webex.com/play/{FIND_PAGE_SIZE + 5}"
    assert found[1].playback_url == f"https://acme.webex.com/file/{FIND_PAGE_SIZE + 4}"
    assert found[0].duration_seconds == 60 * (FIND_PAGE_SIZE + 5) and found[0].meeting_id == "123"


async def test_renaming_a_recording_that_is_not_there_is_recording_not_found() -> None:
    xml = ScriptedXml()
    adapter = XmlMeetingBackend(xml)  # type: ignore[arg-type]
    await adapter.rename_recording(CREDS, "7", "New name")
    assert xml.renamed == [("7", "New name")]
    with pytest.raises(ports.RecordingNotFound):
        await adapter.rename_recording(CREDS, "8", "New name")
    with pytest.raises(ports.RecordingNotFound):
        await adapter.rename_recording(CREDS, "not-a-number", "New name")
