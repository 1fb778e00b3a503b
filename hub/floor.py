"""The nurse station's floor view: a unit's rooms and beds with their state, its alert queue
and tonight's rounds.

A bed's state, in order of what needs a person first:

- ``empty``: nobody is assigned to the bed;
- ``alert``: her alert is open and nobody has acknowledged it yet;
- ``device_problem``: the bed has no bed sensor (a ``presence`` device with role ``bed``),
  the sensor is offline, or nothing was heard from it for ``fresh_s`` (``problem`` says
  which): the floor view never says "in bed" on the strength of an old reading;
- ``in_bed`` / ``out_of_bed``: what the bed sensor's last ``presence`` reading says.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .queries import offline_devices
from .rounds import night_of, slot_states, visits
from .schema import Alert, Bed, Device, Home, Institution, ReadingRow, Room, Unit, User
from .shifts import on_duty
from .views import alert_document, local_time

# A bed sensor under the mattress reports her state every 10 minutes at least (catalog:
# native-bed-sensor heartbeat_s 600; a status of the edge vouches for a quiet one too);
# older than this, the bed's state is not known.
FRESH_S = 900.0


@dataclass(frozen=True)
class BedFacts:
    """What the store knows of a bed now (no rows: plain values, testable alone)."""

    occupied: bool
    has_sensor: bool
    sensor_offline: bool
    present: bool | None  # the last presence reading (None: none)
    heard_at: float | None  # the newest of that reading and the sensor's last heartbeat
    unacknowledged: bool


def bed_state(facts: BedFacts, now: float, fresh_s: float = FRESH_S) -> tuple[str, str | None]:
    """(state, problem) as the module docstring orders them.

    >>> facts = BedFacts(True, True, False, True, 1000.0, False)
    >>> bed_state(facts, 1100.0), bed_state(facts, 1000.0 + FRESH_S + 1)
    (('in_bed', None), ('device_problem', 'no_recent_reading'))
    """
    if not facts.occupied:
        return "empty", None
    if facts.unacknowledged:
        return "alert", None
    if not facts.has_sensor:
        return "device_problem", "no_bed_sensor"
    if facts.sensor_offline:
        return "device_problem", "offline"
    if facts.present is None or facts.heard_at is None or now - facts.heard_at > fresh_s:
        return "device_problem", "no_recent_reading"
    return ("in_bed" if facts.present else "out_of_bed"), None


def floor_view(
    session: Session, unit: Unit, *, rooms: Collection[int] | None, now: float
) -> dict[str, Any]:
    """The unit as the console shows it; ``rooms``: only these (a caregiver's shift)."""
    institution = session.get(Institution, unit.institution_id)
    assert institution is not None  # a foreign key
    query = select(Room).where(Room.unit_id == unit.id).order_by(Room.name)
    shown = [room for room in session.scalars(query) if rooms is None or room.id in rooms]
    night = night_of(unit, institution.timezone, now)
    seen = visits(session, [room.id for room in shown], night.start, night.end)
    tz = ZoneInfo(institution.timezone)
    queue: list[dict[str, Any]] = []
    documents = []
    for room in shown:
        beds = session.scalars(select(Bed).where(Bed.room_id == room.id).order_by(Bed.name))
        bed_documents = [_bed(session, bed, room, now, queue) for bed in beds]
        slots = slot_states(night, [visit.at for visit in seen[room.id]], now)
        last = seen[room.id][-1] if seen[room.id] else None
        documents.append(
            {
                "id": room.id,
                "name": room.name,
                "beds": bed_documents,
                "rounds": [
                    {
                        "start": local_time(s.start, tz),
                        "end": local_time(s.end, tz),
                        "state": s.state,
                        "visited_at": local_time(s.visited_at, tz),
                    }
                    for s in slots
                ],
                "missed_rounds": sum(1 for s in slots if s.state == "missed"),
                # Shifts are people's time: the wall clock, not the homes'.
                "on_duty": _names(
                    session, on_duty(session, unit.institution_id, room.id, time.time())
                ),
                "last_round": None
                if last is None
                else {"at": local_time(last.at, tz), "by": last.by, "note": last.note},
            }
        )
    queue.sort(key=lambda a: (a["acknowledged"], not a["active"], a["raised_at"] or ""))
    return {
        "id": unit.id,
        "name": unit.name,
        "institution": unit.institution_id,
        "now": local_time(now, tz),
        "rounds_every_s": unit.rounds_every_s,
        "night": {"start": local_time(night.start, tz), "end": local_time(night.end, tz)},
        "rooms": documents,
        "alerts": queue,
    }


def _bed(
    session: Session, bed: Bed, room: Room, now: float, queue: list[dict[str, Any]]
) -> dict[str, Any]:
    home = session.get(Home, bed.home_id) if bed.home_id is not None else None
    document: dict[str, Any] = {
        "id": bed.id, "name": bed.name, "resident": None, "resident_name": None,
        "fall_risk": None, "state": "empty", "problem": None, "presence_at": None, "alerts": [],
    }  # fmt: skip
    if home is None or home.deactivated_at is not None:
        return document
    alerts = list(session.scalars(
        select(Alert).where(Alert.home_id == home.id, Alert.resolved_at.is_(None))
    ))  # fmt: skip
    sensor = _bed_sensor(session, home)
    reading = _last_presence(session, home.id, sensor.id) if sensor is not None else None
    heard = [t for t in (reading.ts if reading else None, sensor and sensor.last_seen) if t]
    facts = BedFacts(
        occupied=True,
        has_sensor=sensor is not None,
        # Offline while its device_offline alert is active (the edge's detector says so).
        sensor_offline=sensor is not None and sensor.id in offline_devices(session, home.id),
        present=None if reading is None or reading.number is None else reading.number >= 0.5,
        heard_at=max(heard) if reading is not None and heard else None,
        unacknowledged=any(not alert.acknowledged for alert in alerts),
    )
    state, problem = bed_state(facts, now)
    for alert in alerts:
        queue.append({**alert_document(alert, home), "room": room.name, "bed": bed.name})
    document.update(
        resident=home.id,
        resident_name=home.resident_name,
        fall_risk=(home.config.get("resident") or {}).get("fall_risk"),
        state=state,
        problem=problem,
        presence_at=local_time(reading.ts, ZoneInfo(home.timezone)) if reading else None,
        alerts=[
            {"id": a.id, "kind": a.kind, "severity": a.severity, "acknowledged": a.acknowledged}
            for a in alerts
        ],
    )
    return document


def _last_presence(session: Session, home_id: str, device: str) -> ReadingRow | None:
    return session.scalars(
        select(ReadingRow)
        .where(
            ReadingRow.home_id == home_id,
            ReadingRow.device == device,
            ReadingRow.metric == "presence",
        )
        .order_by(ReadingRow.ts.desc())
        .limit(1)
    ).first()


def _names(session: Session, usernames: list[str]) -> list[str]:
    users = (session.get(User, username) for username in usernames)
    return [user.name for user in users if user is not None]


def _bed_sensor(session: Session, home: Home) -> Device | None:
    for device in home.config.get("devices", []):
        if device.get("kind") == "presence" and device.get("role") == "bed":
            return session.get(Device, (home.id, device["id"]))
    return None
