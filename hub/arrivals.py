"""What has just arrived from a home: its newest readings and events, for the installer's
check ("press the SOS button now") on the operator pages.

Rows are returned after a cursor (the last row id the page has seen), oldest first, so a
page that polls gets each reading once; the first call, without a cursor, returns the
newest few.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .schema import EventRow, ReadingRow

LIMIT = 50


def readings_after(
    session: Session, home_id: str, after: int | None, limit: int = LIMIT
) -> Sequence[ReadingRow]:
    query = select(ReadingRow).where(ReadingRow.home_id == home_id)
    return _after(session, query, ReadingRow.id, after, limit)


def events_after(
    session: Session, home_id: str, after: int | None, limit: int = LIMIT
) -> Sequence[EventRow]:
    query = select(EventRow).where(EventRow.home_id == home_id)
    return _after(session, query, EventRow.id, after, limit)


def _after(session, query, id_column, after: int | None, limit: int):  # type: ignore[no-untyped-def]
    if after is not None:
        rows = session.scalars(query.where(id_column > after).order_by(id_column).limit(limit))
        return list(rows)
    newest = session.scalars(query.order_by(id_column.desc()).limit(limit))
    return list(reversed(list(newest)))
