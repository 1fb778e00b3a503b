"""Caregivers on shift: who is on duty for which rooms of an institution, and when.

Shift times are the wall clock (people's time, not the homes' event time). A caregiver of
an institution sees the residents of the rooms of the shifts she is on now, and an alert of
a room goes first to the caregiver on duty for it (hub/ward_routing.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .places import PlaceError, PlaceNotFound, get_institution, get_room, institution_of_room
from .schema import Bed, Shift, User

# A shift longer than a day is a typing error (a wrong date), not a shift.
LONGEST_SHIFT_S = 24 * 3600.0


def save_shift(
    session: Session,
    institution_id: str,
    *,
    username: str,
    starts_at: float,
    ends_at: float,
    rooms: Sequence[int],
    shift_id: int | None = None,
) -> Shift:
    """A new shift (or a change of ``shift_id``): a caregiver of the institution, rooms of it."""
    get_institution(session, institution_id)
    user = session.get(User, username)
    if user is None or user.deactivated_at is not None:
        raise PlaceNotFound(f"no user {username!r}")
    if user.role != "caregiver" or institution_id not in user.stations:
        raise PlaceError(f"{username!r} is not a caregiver of {institution_id!r}")
    if not 0 < ends_at - starts_at <= LONGEST_SHIFT_S:
        raise PlaceError("a shift ends after it starts, and lasts at most 24 hours")
    for room_id in rooms:
        if institution_of_room(session, get_room(session, room_id)) != institution_id:
            raise PlaceNotFound(f"no room {room_id} in {institution_id!r}")
    shift = session.get(Shift, shift_id) if shift_id is not None else None
    if shift_id is not None and (shift is None or shift.institution_id != institution_id):
        raise PlaceNotFound(f"no shift {shift_id}")
    if shift is None:
        shift = Shift(institution_id=institution_id)
        session.add(shift)
    shift.username, shift.starts_at, shift.ends_at = username, starts_at, ends_at
    shift.rooms = [str(room_id) for room_id in sorted(set(rooms))]
    session.flush()
    return shift


def current_shifts(
    session: Session, now: float, *, institution_id: str | None = None, username: str | None = None
) -> list[Shift]:
    query = select(Shift).where(Shift.starts_at <= now, Shift.ends_at > now)
    if institution_id is not None:
        query = query.where(Shift.institution_id == institution_id)
    if username is not None:
        query = query.where(Shift.username == username)
    return list(session.scalars(query.order_by(Shift.starts_at, Shift.id)))


def rooms_of(shift: Shift) -> set[int]:
    return {int(room) for room in shift.rooms}


def on_duty(session: Session, institution_id: str, room_id: int, now: float) -> list[str]:
    """The caregivers on duty for a room now (the one whose shift began first, first)."""
    names = []
    for shift in current_shifts(session, now, institution_id=institution_id):
        if room_id in rooms_of(shift) and shift.username not in names:
            user = session.get(User, shift.username)
            if user is not None and user.deactivated_at is None:
                names.append(shift.username)
    return names


def duty_rooms(session: Session, username: str, now: float) -> set[int]:
    rooms: set[int] = set()
    for shift in current_shifts(session, now, username=username):
        rooms |= rooms_of(shift)
    return rooms


def duty_homes(session: Session, username: str, now: float) -> frozenset[str]:
    """The residents of the beds of the rooms a caregiver is on duty for now."""
    rooms = duty_rooms(session, username, now)
    if not rooms:
        return frozenset()
    homes = session.scalars(select(Bed.home_id).where(Bed.room_id.in_(rooms)))
    return frozenset(home for home in homes if home is not None)
