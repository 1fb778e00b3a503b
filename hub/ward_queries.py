"""An institution's places as someone may see them: staff of the institution see all of it,
a caregiver of it only the rooms of the shift she is on now, anyone else nothing (404, as
for residents: a place outside someone's scope does not exist for them)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import Scope
from .places import PlaceNotFound
from .schema import Bed, Home, Institution, Room, Station, Unit
from .shifts import duty_rooms


def rooms_in_scope(session: Session, scope: Scope, institution_id: str) -> set[int] | None:
    """None: every room of the institution; else the rooms of her shift now."""
    if institution_id in scope.ward_stations:
        return duty_rooms(session, scope.username, time.time())
    return None


def visible_institution(session: Session, scope: Scope, institution_id: str) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None or not scope.sees_station(institution_id):
        raise PlaceNotFound(f"no institution {institution_id!r}")
    return institution


def visible_unit(session: Session, scope: Scope, unit_id: int) -> tuple[Unit, set[int] | None]:
    """The unit and the rooms of it she may see (None: all)."""
    unit = session.get(Unit, unit_id)
    if unit is None or not scope.sees_station(unit.institution_id):
        raise PlaceNotFound(f"no unit {unit_id}")
    rooms = rooms_in_scope(session, scope, unit.institution_id)
    if rooms is not None:
        mine = set(session.scalars(select(Room.id).where(Room.unit_id == unit.id))) & rooms
        if not mine:
            raise PlaceNotFound(f"no unit {unit_id}")
        return unit, mine
    return unit, None


def visible_room(session: Session, scope: Scope, room_id: int) -> tuple[Room, Unit]:
    room = session.get(Room, room_id)
    unit = session.get(Unit, room.unit_id) if room is not None else None
    if room is None or unit is None or not scope.sees_station(unit.institution_id):
        raise PlaceNotFound(f"no room {room_id}")
    rooms = rooms_in_scope(session, scope, unit.institution_id)
    if rooms is not None and room.id not in rooms:
        raise PlaceNotFound(f"no room {room_id}")
    return room, unit


def visible_bed(session: Session, scope: Scope, bed_id: int) -> tuple[Bed, Room, Unit]:
    bed = session.get(Bed, bed_id)
    if bed is None:
        raise PlaceNotFound(f"no bed {bed_id}")
    try:
        room, unit = visible_room(session, scope, bed.room_id)
    except PlaceNotFound:
        raise PlaceNotFound(f"no bed {bed_id}") from None
    return bed, room, unit


def visible_institutions(session: Session, scope: Scope) -> list[Institution]:
    query = select(Institution).order_by(Institution.id)
    return [i for i in session.scalars(query) if scope.sees_station(i.id)]


def places_tree(session: Session, scope: Scope, institution: Institution) -> list[dict[str, Any]]:
    """Units, rooms and beds (with who sleeps in each bed, for the beds she may see)."""
    rooms_seen = rooms_in_scope(session, scope, institution.id)
    units = session.scalars(
        select(Unit).where(Unit.institution_id == institution.id).order_by(Unit.name)
    )
    tree = []
    for unit in units:
        rooms = [
            room
            for room in session.scalars(
                select(Room).where(Room.unit_id == unit.id).order_by(Room.name)
            )
            if rooms_seen is None or room.id in rooms_seen
        ]
        if rooms_seen is not None and not rooms:
            continue
        tree.append(
            {"id": unit.id, "name": unit.name, "rounds_every_s": unit.rounds_every_s,
             "rounds_from": unit.rounds_from, "rounds_until": unit.rounds_until,
             "rooms": [{"id": r.id, "name": r.name, "beds": _beds(session, r)} for r in rooms]}
        )  # fmt: skip
    return tree


def _beds(session: Session, room: Room) -> list[dict[str, Any]]:
    beds = []
    for bed in session.scalars(select(Bed).where(Bed.room_id == room.id).order_by(Bed.name)):
        home = session.get(Home, bed.home_id) if bed.home_id else None
        beds.append(
            {"id": bed.id, "name": bed.name, "resident": bed.home_id,
             "resident_name": home.resident_name if home is not None else None}
        )  # fmt: skip
    return beds


def station_name(session: Session, station_id: str) -> str:
    station = session.get(Station, station_id)
    return station.name if station is not None else station_id
