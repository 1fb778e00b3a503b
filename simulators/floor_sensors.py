"""The devices of a simulated care-home bed, played from its plan (simulators/institution.py).

- The native bed sensor: in bed or not and, in bed, heart and breathing rate every 150 s;
  a change at once when she gets up (1-5 s), 20-60 s after she lies down (it waits for a
  steady signal, as simulators/occupancy.py's); nothing at all while it has dropped out.
- The bathroom's fall radar, shared by the room: presence as either roommate comes and
  goes, its state every ~5 min, "fall" when one falls, "no fall" now and then.
- The unit door, shared by the floor: every passage, its battery hourly.
- The call button: each press, its battery every 4 h.

Shared devices are rendered from their own seed (the room's, the floor's), so both
roommates' streams carry the same radar readings.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from contracts.reading import Reading

from .resident import DAY, HOUR, MINUTE, rng_for

if TYPE_CHECKING:
    from .institution import BedPlan

STREAM_BED, STREAM_RADAR, STREAM_BUTTONS = 44, 45, 46
BED_EVERY_S = 150.0
RADAR_EVERY_S = 300.0
Raw = tuple[float, str, str, Any]


def render_bed(
    plan: BedPlan,
    roommate: BedPlan | None,
    door: Sequence[tuple[float, str]],
    first: float,
    last: float,
    seed: int,
) -> Iterator[Reading]:
    config = plan.config
    home, tz = config.home, config.tz
    devices = {d.id for d in config.devices}
    registered = _registered(plan, seed)
    streams: list[Iterator[Raw]] = []
    if "bed_sensor" in devices:
        streams.append(_bed_sensor(plan, registered, first, last, seed))
    if "radar_bath" in devices:
        streams.append(_radar(plan, roommate, first, last, seed))
    if "unit_door" in devices:
        streams.append(_door(door, first, last, seed))
    if "call_bed" in devices:
        streams.append(_button(plan, first, last, seed))
    for t, device, metric, value in heapq.merge(*streams, key=lambda raw: raw[0]):
        if first <= t < last:
            ts = datetime.fromtimestamp(t, tz)
            yield Reading(ts=ts, home=home, device=device, metric=metric, value=value)


def _registered(plan: BedPlan, seed: int) -> list[tuple[float, float]]:
    """The stretches the bed sensor says "in bed": a little after she lies down, a moment
    before she is up."""
    rng = rng_for(seed, plan.config.home, STREAM_BED)
    spans = []
    for a, b in plan.in_bed:
        on, off = a + float(rng.uniform(20, 60)), b - float(rng.uniform(1, 5))
        if off > on:
            spans.append((on, off))
    return spans


def _covered(t: float, spans: Sequence[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in spans)


def _bed_sensor(
    plan: BedPlan, registered: list[tuple[float, float]], first: float, last: float, seed: int
) -> Iterator[Raw]:
    rng = rng_for(seed, plan.config.home, STREAM_BED, 1)
    base_hr = float(rng.uniform(54, 68))
    phase = float(rng.uniform(0, BED_EVERY_S))
    day = first
    while day < last:
        out: list[Raw] = []
        for a, b in registered:
            if day <= a < day + DAY:
                out.append((a, "bed_sensor", "presence", True))
            if day <= b < day + DAY:
                out.append((b, "bed_sensor", "presence", False))
        for t in np.arange(day + phase, day + DAY, BED_EVERY_S):
            t = float(t + rng.uniform(-3, 3))
            lying = _covered(t, registered)
            out.append((t, "bed_sensor", "presence", lying))
            if lying:
                slow = _covered(t, plan.slow_heart)
                bpm = rng.uniform(36, 39.5) if slow else base_hr + rng.normal(0, 2.5)
                out.append((t + 0.1, "bed_sensor", "heart_rate", float(round(bpm))))
                rate = float(np.clip(round(rng.normal(15, 1.5)), 10, 22))
                out.append((t + 0.1, "bed_sensor", "breathing_rate", rate))
        out.sort(key=lambda raw: raw[0])
        yield from (raw for raw in out if not _covered(raw[0], plan.dropouts))
        day += DAY


def _bathroom_spans(plan: BedPlan | None) -> list[tuple[float, float]]:
    if plan is None:
        return []
    return [e.bathroom for e in plan.exits if e.bathroom] + list(plan.day_bathroom)


def _radar(
    plan: BedPlan, roommate: BedPlan | None, first: float, last: float, seed: int
) -> Iterator[Raw]:
    room = plan.config.place.room if plan.config.place else plan.config.home
    rng = rng_for(seed, f"room-{room}", STREAM_RADAR)
    rooms = sorted([plan, roommate] if roommate else [plan], key=lambda p: p.config.home)
    stays = sorted(s for p in rooms for s in _bathroom_spans(p))
    seen = [(a + float(rng.uniform(1, 3)), b + float(rng.uniform(20, 40))) for a, b in stays]
    falls = sorted(e.fall for p in rooms for e in p.exits if e.fall)
    out: list[Raw] = []
    for a, b in seen:
        out += [(a, "radar_bath", "presence", True), (b, "radar_bath", "presence", False)]
    for fell, found in falls:
        out += [
            (fell, "radar_bath", "fall_state", "fall"),
            (found, "radar_bath", "fall_state", "none"),
        ]
    for i, t in enumerate(
        np.arange(first + float(rng.uniform(0, RADAR_EVERY_S)), last, RADAR_EVERY_S)
    ):
        t = float(t + rng.uniform(-20, 20))
        out.append((t, "radar_bath", "presence", _covered(t, seen)))
        if i % 12 == 0 and not any(a <= t < b for a, b in falls):
            out.append((t + 0.1, "radar_bath", "fall_state", "none"))
    out.sort(key=lambda raw: raw[0])
    yield from out


def _door(door: Sequence[tuple[float, str]], first: float, last: float, seed: int) -> Iterator[Raw]:
    rng = rng_for(seed, "floor", STREAM_BUTTONS)
    out: list[Raw] = [(t, "unit_door", "contact", state) for t, state in door]
    level = 95.0
    for t in np.arange(first + float(rng.uniform(0, HOUR)), last, HOUR):
        level = max(40.0, level - 0.01)
        out.append((float(t), "unit_door", "battery", round(level)))
    out.sort(key=lambda raw: raw[0])
    yield from out


def _button(plan: BedPlan, first: float, last: float, seed: int) -> Iterator[Raw]:
    rng = rng_for(seed, plan.config.home, STREAM_BUTTONS)
    out: list[Raw] = []
    for press in plan.calls:
        out.append((press, "call_bed", "sos", True))
        if rng.random() < 0.3:  # pressed again when nobody seemed to come
            out.append((press + float(rng.uniform(20, 90)), "call_bed", "sos", True))
    for t in np.arange(first + float(rng.uniform(0, 4 * HOUR)), last, 4 * HOUR):
        out.append((float(t), "call_bed", "battery", 88))
    out.sort(key=lambda raw: raw[0])
    yield from out


__all__ = ["BED_EVERY_S", "MINUTE", "render_bed"]
