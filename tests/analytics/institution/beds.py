"""A care home's bed for the institutional detector tests: its config and hand-built
streams of its devices, in UTC on the night of 2026-11-02 to 03."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from analytics import Event, HomeMonitor
from contracts.home import HomeConfig
from contracts.reading import Reading

HOME = "b301-1"
NIGHT = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # 23:00, inside the default night
DAY = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 10:00, outside it

BED = {"id": "bed_sensor", "kind": "presence", "role": "bed", "source": "native",
       "model": "native-bed-sensor"}  # fmt: skip
CALL = {"id": "call_bed", "kind": "sos_button", "role": "bedside", "source": "zigbee2mqtt:call1"}
DOOR = {"id": "unit_door", "kind": "door", "role": "unit_door", "source": "zigbee2mqtt:unitdoor"}
RADAR = {"id": "radar_bath", "kind": "fall_radar", "role": "bathroom",
         "source": "zigbee2mqtt:radar301"}  # fmt: skip
PLACE = {"institution": "sunrise", "unit": "3F", "room": "301", "bed": "1"}


def bed_config(
    fall_risk: str = "at_risk",
    *,
    wanders: bool = False,
    devices: tuple[dict[str, Any], ...] = (BED, CALL, DOOR, RADAR),
    place: dict[str, str] | None = PLACE,
    **extra: Any,
) -> HomeConfig:
    return HomeConfig.model_validate(
        {
            "home": HOME,
            "station": "sunrise",
            "timezone": "UTC",
            "resident": {
                "name": "李桂兰",
                "birth_year": 1936,
                "fall_risk": fall_risk,
                "wanders": wanders,
            },
            "place": place,
            "devices": list(devices),
            **extra,
        }
    )


def at(base: datetime, minutes: float) -> datetime:
    return base + timedelta(minutes=minutes)


def reading(ts: datetime, device: str, metric: str, value: Any) -> Reading:
    return Reading(ts=ts, home=HOME, device=device, metric=metric, value=value)


def bed(base: datetime, minutes: float, in_bed: bool) -> Reading:
    return reading(at(base, minutes), "bed_sensor", "presence", in_bed)


def reports(
    base: datetime, start: float, end: float, in_bed: bool, every: float = 2.5
) -> list[Reading]:
    """The native bed sensor's periodic reports from ``start`` to ``end`` (minutes): its
    level and, in bed, her heart and breathing rate."""
    out: list[Reading] = []
    minute = start
    while minute < end:
        out.append(bed(base, minute, in_bed))
        if in_bed:
            out.append(reading(at(base, minute), "bed_sensor", "heart_rate", 62.0))
            out.append(reading(at(base, minute), "bed_sensor", "breathing_rate", 14.0))
        minute += every
    return out


def run(config: HomeConfig, readings: list[Reading], until: datetime | None = None) -> list[Event]:
    """Every event of the home's monitor (all default detectors) over the readings."""
    monitor = HomeMonitor(config)
    events = monitor.feed_many(sorted(readings, key=lambda r: r.ts))
    if until is not None:
        events += monitor.advance(until.timestamp())
    return events


def of(events: list[Event], kind: str) -> list[tuple[str, str, float]]:
    """(state, severity, minutes after NIGHT's hour) of the events of one kind."""
    return [
        (e.state, e.severity, round((e.ts - NIGHT.timestamp()) / 60, 2))
        for e in events
        if e.kind == kind
    ]
