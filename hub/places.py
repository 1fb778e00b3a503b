"""Places of an institution: units (wings, floors), rooms and beds, and who sleeps where.

An institution is a station to the hub (same id): its homes' alerts are the station's and
its staff are linked to the station. One home config per bed (``HomeConfig.place``); the
bed assignment and the config's place are kept the same by one path: assigning a bed
rewrites the config's place and :func:`hub.registry.save_home` calls :func:`sync_place`,
which moves the resident to the bed the config names (the old assignment closed, a new one
opened, so the history of moves stays). A config naming a bed that does not exist, or
someone else's bed, is refused whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from contracts.home import HomeConfig, Place

from .errors import HubError
from .schema import Bed, BedAssignment, Home, Institution, Room, Station, Unit

_LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class PlaceError(HubError):
    """A change of places that contradicts what is there (409)."""

    status = 409


class PlaceNotFound(PlaceError):
    status = 404


@dataclass(frozen=True)
class EscalationDelays:
    station_after_s: float = 120.0
    head_nurse_after_s: float = 300.0
    repeat_s: float = 300.0


def save_institution(
    session: Session,
    institution_id: str,
    *,
    timezone: str,
    delays: EscalationDelays,
    severities: dict[str, str],
) -> Institution:
    """Make a station an institution (or change it); the station must exist."""
    if session.get(Station, institution_id) is None:
        raise PlaceNotFound(f"no station {institution_id!r}; register the station first")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlaceError(f"unknown time zone {timezone!r}") from None
    if not delays.station_after_s <= delays.head_nurse_after_s:
        raise PlaceError("the head nurse is told after the nurse station, not before")
    institution = session.get(Institution, institution_id)
    if institution is None:
        institution = Institution(id=institution_id)
        session.add(institution)
    institution.timezone = timezone
    institution.station_after_s = delays.station_after_s
    institution.head_nurse_after_s = delays.head_nurse_after_s
    institution.repeat_s = delays.repeat_s
    institution.severities = dict(severities)
    return institution


def get_institution(session: Session, institution_id: str) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise PlaceNotFound(f"no institution {institution_id!r}")
    return institution


def add_unit(
    session: Session,
    institution_id: str,
    name: str,
    *,
    rounds_every_s: float = 7200.0,
    rounds_from: str = "22:00",
    rounds_until: str = "06:00",
) -> Unit:
    get_institution(session, institution_id)
    for field, value in (("rounds_from", rounds_from), ("rounds_until", rounds_until)):
        if not _LOCAL_TIME.match(value):
            raise PlaceError(f"{field} must be a local time HH:MM, got {value!r}")
    _unique(session, select(Unit.id).where(Unit.institution_id == institution_id,
                                           Unit.name == name), f"unit {name!r}")  # fmt: skip
    unit = Unit(
        institution_id=institution_id,
        name=name,
        rounds_every_s=rounds_every_s,
        rounds_from=rounds_from,
        rounds_until=rounds_until,
    )
    session.add(unit)
    session.flush()
    return unit


def add_room(session: Session, unit_id: int, name: str) -> Room:
    get_unit(session, unit_id)
    _unique(session, select(Room.id).where(Room.unit_id == unit_id, Room.name == name),
            f"room {name!r}")  # fmt: skip
    room = Room(unit_id=unit_id, name=name)
    session.add(room)
    session.flush()
    return room


def add_bed(session: Session, room_id: int, name: str) -> Bed:
    get_room(session, room_id)
    _unique(session, select(Bed.id).where(Bed.room_id == room_id, Bed.name == name),
            f"bed {name!r}")  # fmt: skip
    bed = Bed(room_id=room_id, name=name, home_id=None)
    session.add(bed)
    session.flush()
    return bed


def _unique(session: Session, query: Select[Any], what: str) -> None:
    if session.scalars(query).first() is not None:
        raise PlaceError(f"{what} is there already")


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise PlaceNotFound(f"no unit {unit_id}")
    return unit


def get_room(session: Session, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise PlaceNotFound(f"no room {room_id}")
    return room


def get_bed(session: Session, bed_id: int) -> Bed:
    bed = session.get(Bed, bed_id)
    if bed is None:
        raise PlaceNotFound(f"no bed {bed_id}")
    return bed


def institution_of_room(session: Session, room: Room) -> str:
    return get_unit(session, room.unit_id).institution_id


def institution_of_bed(session: Session, bed: Bed) -> str:
    return institution_of_room(session, get_room(session, bed.room_id))


def place_of(session: Session, bed: Bed) -> Place:
    room = get_room(session, bed.room_id)
    unit = get_unit(session, room.unit_id)
    return Place(institution=unit.institution_id, unit=unit.name, room=room.name, bed=bed.name)


def bed_named(session: Session, place: Place) -> Bed:
    bed = session.scalars(
        select(Bed)
        .join(Room, Room.id == Bed.room_id)
        .join(Unit, Unit.id == Room.unit_id)
        .where(
            Unit.institution_id == place.institution,
            Unit.name == place.unit,
            Room.name == place.room,
            Bed.name == place.bed,
        )
    ).first()
    if bed is None:
        raise PlaceNotFound(
            f"no bed {place.bed!r} in room {place.room!r} of unit {place.unit!r} of "
            f"{place.institution!r}; add it first"
        )
    return bed


def bed_of_home(session: Session, home_id: str) -> Bed | None:
    return session.scalars(select(Bed).where(Bed.home_id == home_id)).first()


def room_of_home(session: Session, home_id: str) -> Room | None:
    bed = bed_of_home(session, home_id)
    return get_room(session, bed.room_id) if bed is not None else None


def sync_place(session: Session, config: HomeConfig, *, actor: str, now: float) -> None:
    """Make the bed assignment what the config's place says (registry.save_home calls it
    with the config): she moves to the bed named, or leaves her bed when the
    config names none. Refused (nothing changes): a place in another institution than the
    config's station, a bed that does not exist, a bed someone else sleeps in."""
    current = bed_of_home(session, config.home)
    if config.place is None:
        if current is not None:
            _vacate(session, current, actor=actor, now=now)
        return
    if config.place.institution != config.station:
        raise PlaceError(
            f"place.institution {config.place.institution!r} is not the config's station "
            f"{config.station!r}: a bed's alerts go to its institution"
        )
    try:
        bed = bed_named(session, config.place)
    except PlaceNotFound as exc:
        raise PlaceError(str(exc)) from None  # the config is refused, not a route unknown
    if bed.id == (current.id if current is not None else None):
        return
    if bed.home_id is not None:
        raise PlaceError(f"bed {bed.name!r} of room {config.place.room!r} is {bed.home_id!r}'s")
    if current is not None:
        _vacate(session, current, actor=actor, now=now)
    session.flush()  # the old bed freed before the unique home_id is taken again
    bed.home_id = config.home
    session.add(BedAssignment(bed_id=bed.id, home_id=config.home, since=now, until=None, by=actor))


def leave_bed(session: Session, home_id: str, *, actor: str, now: float) -> None:
    """Her home deactivated: the bed is free for someone else (the history says until when)."""
    current = bed_of_home(session, home_id)
    if current is not None:
        _vacate(session, current, actor=actor, now=now)


def bed_taken(session: Session, config: HomeConfig) -> bool:
    """Whether the bed the config names is someone else's now (or is no more)."""
    if config.place is None:
        return False
    try:
        bed = bed_named(session, config.place)
    except PlaceNotFound:
        return True
    return bed.home_id not in (None, config.home)


def _vacate(session: Session, bed: Bed, *, actor: str, now: float) -> None:
    for row in session.scalars(
        select(BedAssignment).where(BedAssignment.bed_id == bed.id, BedAssignment.until.is_(None))
    ):
        row.until = now
    bed.home_id = None


def config_with_place(home: Home, place: Place | None) -> HomeConfig:
    """The home's stored config, with ``place`` (and its station the place's institution)."""
    document = dict(home.config)
    document["place"] = place.model_dump() if place is not None else None
    if place is not None:
        document["station"] = place.institution
    return HomeConfig.model_validate(document)


def assignments(session: Session, *, bed_id: int | None = None, home_id: str | None = None
                ) -> Sequence[BedAssignment]:  # fmt: skip
    query = select(BedAssignment).order_by(BedAssignment.since, BedAssignment.id)
    if bed_id is not None:
        query = query.where(BedAssignment.bed_id == bed_id)
    if home_id is not None:
        query = query.where(BedAssignment.home_id == home_id)
    return session.scalars(query).all()
