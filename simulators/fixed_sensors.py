"""The home's fixed sensors in the simulation: door contacts, the living-room PIR, the
bathroom's fall radar, read from the day's plan (occupancy sensors and plugs are in
occupancy.py)."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from contracts.home import DeviceConfig

from .resident import MINUTE
from .routine import DayPlan

_LIVING_AREA = frozenset({"living_room", "kitchen"})
# PIR triggers per minute while she is in the living room or the open kitchen.
_PIR_RATE = {"cook": 1.5, "chores": 1.5, "eat": 0.4, "tv": 0.12, "rest": 0.15, "nap": 0.02}
_STILL = frozenset({"collapsed", "down"})
_PIR_BLIND_S = 60.0  # RTCGQ11LM ignores motion for a minute after each detection
_PIR_CLEAR_S = 90.0  # Zigbee2MQTT's occupancy_timeout: no detection for this long -> false
_RADAR_HOLD_S = (10.0, 40.0)  # a radar keeps saying "present" a little after she leaves


Item = tuple[float, str, object]  # seconds after midnight, metric, value


def pir_readings(plan: DayPlan, rng: np.random.Generator) -> list[Item]:
    """Living-room PIR: detections while she moves about there, as Zigbee2MQTT reports them."""
    moves: list[float] = []
    for visit in plan.visits:
        rate = _PIR_RATE.get(visit.activity, 0.0) if visit.place in _LIVING_AREA else 0.0
        if rate > 0:
            t = visit.start + rng.exponential(60 / rate)
            while t < visit.end:
                moves.append(t)
                t += rng.exponential(60 / rate)
    for before, after in pairwise(plan.visits):
        if before.place == after.place:
            continue
        t = after.start
        if after.place == "out":
            moves.append(t - rng.uniform(5, 20))  # crossing the living room to the door
        elif before.place == "out":
            moves.append(t + rng.uniform(3, 12))
        elif after.place in _LIVING_AREA and after.activity not in _STILL:
            moves.append(t + rng.uniform(1, 8))
        elif before.place in _LIVING_AREA or after.place in _LIVING_AREA:
            moves.append(t - rng.uniform(2, 10))
    for visitor in plan.visitors:
        moves.append(visitor.arrive + rng.uniform(3, 10))
        moves.extend(visitor.arrive + rng.uniform(0, 15 * MINUTE, int(rng.integers(3, 10))))
        moves.append(visitor.leave - rng.uniform(5, 15))
    moves.sort()
    out: list[Item] = []
    last = -math.inf
    for t in moves:
        if t - last < _PIR_BLIND_S:
            continue
        if out and t - last >= _PIR_CLEAR_S:
            out.append((last + _PIR_CLEAR_S, "motion", False))
        out.append((t, "motion", True))
        last = t
    if out:
        out.append((last + _PIR_CLEAR_S, "motion", False))
    return [(max(0.5, t), m, v) for t, m, v in out]


def door_readings(
    plan: DayPlan, rng: np.random.Generator
) -> tuple[list[Item], list[Item], list[Item]]:
    """Door contacts: opened, then closed a few seconds later (or left open)."""
    front: list[Item] = []
    bathroom: list[Item] = []
    fridge: list[Item] = []
    front_open = False
    bath_open = False
    transitions = list(pairwise(plan.visits))
    last_bath_exit = max(
        (b.start for a, b in transitions if a.place == "bathroom" and b.place != "bathroom"),
        default=-1.0,
    )
    for before, after in transitions:
        t = after.start
        if before.place == after.place:
            continue
        if after.place == "out" or before.place == "out":
            if not front_open:
                front.append((t, "contact", "open"))
            # Someone wandering off at night may leave the door ajar behind her.
            front_open = after.activity == "wander" and rng.random() < 0.5
            if not front_open:
                front.append((t + rng.uniform(3, 8), "contact", "closed"))
        # A visit starts as she opens the door to go in, and ends as she opens it to come out.
        if after.place == "bathroom":
            if not bath_open:
                bathroom.append((t, "contact", "open"))
            bathroom.append((t + rng.uniform(2, 5), "contact", "closed"))
            bath_open = False
        elif before.place == "bathroom":
            bathroom.append((t, "contact", "open"))
            bath_open = t != last_bath_exit and rng.random() < 0.15
            if not bath_open:
                bathroom.append((t + rng.uniform(1, 4), "contact", "closed"))
    for visitor in plan.visitors:
        for t in (visitor.arrive, visitor.leave):
            front.append((t, "contact", "open"))
            front.append((t + rng.uniform(4, 10), "contact", "closed"))
    for visit in plan.visits:
        if (
            visit.activity not in {"cook", "chores"}
            or visit.place != "kitchen"
            or visit.duration < 2 * MINUTE
        ):
            continue
        openings = int(rng.integers(1, 4)) if visit.activity == "cook" else int(rng.random() < 0.3)
        closed_at = -math.inf
        for t in np.sort(rng.uniform(visit.start + 20, visit.end - 40, openings)):
            if t < closed_at + 5:
                continue
            closed_at = t + rng.uniform(4, 30)
            fridge.extend([(float(t), "contact", "open"), (closed_at, "contact", "closed")])
    return front, bathroom, fridge


def radar_readings(
    plan: DayPlan, radar: DeviceConfig | None, rng: np.random.Generator
) -> list[Item]:
    """Bathroom radar: presence on entering and leaving, its state every ~5 min, and now and
    then "no fall" unless it is in the middle of reporting one."""
    if radar is None:
        return []
    stays: list[tuple[float, float]] = []
    for visit in plan.visits:
        if visit.place != "bathroom":
            continue
        if stays and abs(stays[-1][1] - visit.start) < 1:
            stays[-1] = (stays[-1][0], visit.end)
        else:
            stays.append((visit.start, visit.end))
    present = [(a + rng.uniform(1, 3), b + rng.uniform(*_RADAR_HOLD_S)) for a, b in stays]
    out: list[Item] = []
    for a, b in present:
        out.append((a, "presence", True))
        out.append((b, "presence", False))
        if rng.random() < 0.3:
            out.append((b + 0.2, "fall_state", "none"))
    alarms = _alarm_spans(
        [e for e in plan.events if e.device == radar.id and e.metric == "fall_state"]
    )
    for i, t in enumerate(np.arange(rng.uniform(0, 300), plan.length, 300.0)):
        t = float(t + rng.uniform(-20, 20))
        inside = any(a <= t < b for a, b in present)
        out.append((t, "presence", inside))
        if i % 12 == 0 and not any(a <= t < b for a, b in alarms):
            out.append((t + 0.1, "fall_state", "none"))
    return [(max(0.5, t), m, v) for t, m, v in out]


def _alarm_spans(events) -> list[tuple[float, float]]:
    spans = []
    start = None
    for event in sorted(events, key=lambda e: e.t):
        if event.value != "none" and start is None:
            start = event.t
        elif event.value == "none" and start is not None:
            spans.append((start, event.t + 1))
            start = None
    if start is not None:
        spans.append((start, math.inf))
    return spans
