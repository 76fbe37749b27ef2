"""UTCDateTime: aware UTC in, aware UTC out, on SQLite's naive storage and PostgreSQL's timestamptz."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.columns import UTCDateTime

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_sqlite_stores_naive_utc_and_reads_back_aware() -> None:
    column = UTCDateTime()
    dialect = sqlite.dialect()
    stored = column.process_bind_param(datetime(2026, 7, 1, 11, 0, tzinfo=PARIS_SUMMER), dialect)
    assert stored == datetime(2026, 7, 1, 9, 0)
    assert column.process_result_value(stored, dialect) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def test_postgresql_gets_aware_utc() -> None:
    column = UTCDateTime()
    dialect = postgresql.dialect()
    stored = column.process_bind_param(datetime(2026, 7, 1, 11, 0, tzinfo=PARIS_SUMMER), dialect)
    assert stored is not None and stored.utcoffset() == timedelta(0)
    read = column.process_result_value(datetime(2026, 7, 1, 11, 0, tzinfo=PARIS_SUMMER), dialect)
    assert read is not None and read.tzinfo is UTC and read.hour == 9


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 7, 1, 11, 0), sqlite.dialect())
