"""Bounds of the API's path and query parameters.

Every integer fits the store's 64-bit integers and every time a calendar: an id or offset of
2**63, a ``since`` in year 1 or a ``date`` of 9999-12-31 (whose next day has no date) get a
422 that says which parameter is out of which range, rather than failing deep in the store
or in date arithmetic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MAX_INT64 = 2**63 - 1
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _within_days(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "a date from {first} to {last}",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return day


def _within_times(moment: datetime) -> datetime:
    # Without an offset it is read in some zone later; any zone is hours, not centuries.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not _EARLIEST <= aware < _LATEST:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "a time from {first} to before {last}",
            {"first": _EARLIEST.date().isoformat(), "last": _LATEST.date().isoformat()},
        )
    return moment


Day = Annotated[date, AfterValidator(_within_days)]
Moment = Annotated[datetime, AfterValidator(_within_times)]
AlertId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the alert's id")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT64, description="alerts to skip")]
RowCursor = Annotated[
    int | None, Query(ge=0, le=MAX_INT64, description="the id of the last row already seen")
]
