"""What has just arrived from a home: its newest readings and events, for the installer's
check ("press the SOS button now") on the operator pages.

Rows are returned after a cursor (the last row id the page has seen), oldest first, so a
page that polls gets each reading once; the first call, without a cursor, returns the
newest few (readings: among the table's newest ``RECENT_ROWS``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .schema import EventRow, ReadingRow

LIMIT = 50
RECENT_ROWS = 20_000  # a first call looks this far back in the readings table


def readings_after(
    session: Session, home_id: str, after: int | None, limit: int = LIMIT
) -> Sequence[ReadingRow]:
    query = select(ReadingRow).where(ReadingRow.home_id == home_id)
    if after is not None:
        return session.scalars(
            query.where(ReadingRow.id > after).order_by(ReadingRow.id).limit(limit)
        ).all()
    # Only among the newest rows of the table: readings has no index that starts with the
    # home alone, and a new home with no reading would otherwise cost a scan of all of them.
    last = session.scalar(select(func.max(ReadingRow.id))) or 0
    recent = query.where(ReadingRow.id > last - RECENT_ROWS)
    newest = session.scalars(recent.order_by(ReadingRow.id.desc()).limit(limit)).all()
    return newest[::-1]


def events_after(
    session: Session, home_id: str, after: int | None, limit: int = LIMIT
) -> Sequence[EventRow]:
    query = select(EventRow).where(EventRow.home_id == home_id)
    if after is not None:
        return session.scalars(
            query.where(EventRow.id > after).order_by(EventRow.id).limit(limit)
        ).all()
    newest = session.scalars(query.order_by(EventRow.id.desc()).limit(limit)).all()
    return newest[::-1]
