"""Night rounds: a caregiver looks into every room of a unit every ``rounds_every_s`` (2 h by
default) between the unit's ``rounds_from`` and ``rounds_until`` (local time). A round is
recorded per room; a slot of the night that ended without one is a missed round.

>>> from datetime import datetime, timezone
>>> start = datetime(2026, 12, 4, 22, 0, tzinfo=timezone.utc).timestamp()
>>> night = Night(start, start + 8 * 3600, 7200)
>>> [s.state for s in slot_states(night, [start + 600], start + 5 * 3600)]
['done', 'missed', 'due']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .places import PlaceError, get_room
from .schema import RoundVisit, Unit


@dataclass(frozen=True)
class Night:
    start: float
    end: float
    every_s: float


@dataclass(frozen=True)
class Slot:
    start: float
    end: float
    state: str  # done | missed | due
    visited_at: float | None


def night_of(unit: Unit, timezone: str, now: float) -> Night:
    """The unit's rounds window that began last at or before ``now`` (tonight's, or last
    night's during the day: its missed rounds stay to be seen in the morning)."""
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, zone)
    begin, finish = time.fromisoformat(unit.rounds_from), time.fromisoformat(unit.rounds_until)
    start = datetime.combine(local.date(), begin, zone)
    if start.timestamp() > now:
        start = datetime.combine(local.date() - timedelta(days=1), begin, zone)
    end_day = start.date() + timedelta(days=1 if finish <= begin else 0)
    end = datetime.combine(end_day, finish, zone)
    return Night(start.timestamp(), end.timestamp(), unit.rounds_every_s)


def slot_states(night: Night, visits: Sequence[float], now: float) -> list[Slot]:
    """The night's slots begun by ``now``: done (a visit in it), missed (over, none), due."""
    slots = []
    start = night.start
    while start < min(night.end, now):
        end = min(start + night.every_s, night.end)
        seen = [at for at in visits if start <= at < end]
        if seen:
            slots.append(Slot(start, end, "done", min(seen)))
        elif end <= now:
            slots.append(Slot(start, end, "missed", None))
        else:
            slots.append(Slot(start, end, "due", None))
        start = end
    return slots


def record_round(
    session: Session, room_id: int, *, by: str, at: float, note: str | None = None
) -> RoundVisit:
    get_room(session, room_id)
    if note is not None and len(note) > 500:
        raise PlaceError("a round's note is at most 500 characters")
    visit = RoundVisit(room_id=room_id, at=at, by=by, note=note)
    session.add(visit)
    session.flush()
    return visit


def visits(session: Session, room_ids: Sequence[int], since: float, until: float
           ) -> dict[int, list[RoundVisit]]:  # fmt: skip
    found: dict[int, list[RoundVisit]] = {room: [] for room in room_ids}
    if not room_ids:
        return found
    query = (
        select(RoundVisit)
        .where(RoundVisit.room_id.in_(room_ids), RoundVisit.at >= since, RoundVisit.at < until)
        .order_by(RoundVisit.at)
    )
    for visit in session.scalars(query):
        found[visit.room_id].append(visit)
    return found
