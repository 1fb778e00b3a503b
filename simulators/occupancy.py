"""Occupancy and appliance sensors of a simulated home: bed and chair mats, a bed sensor,
mmWave presence sensors and plugs, read from the day's plan.

Each function returns ``(seconds after midnight, metric, value)`` items for one device and
one day. A level that runs past midnight is continued by the next day: given the day
before (``previous``), a day that begins in bed sends no new "in bed" at midnight, and one
that begins elsewhere ends the level the day before left on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from contracts.home import DeviceConfig
from devices.catalog import definition

from .resident import MINUTE, ResidentProfile
from .routine import DayPlan, Visit
from .vitals import RESTING_HR

Item = tuple[float, str, object]
Span = tuple[float, float]

IN_BED = frozenset({"sleep", "in_bed"})
IN_CHAIR = frozenset({"tv", "rest", "nap", "collapsed"})
_PRESENCE_FADE_S = (20.0, 60.0)  # an mmWave sensor's "fading time" after she leaves
_BED_SENSOR_EVERY_S = 5 * MINUTE
_PLUG_REPORT_S = 10 * MINUTE  # a metering plug reports its power every few minutes
_MAINS_REPORT_S = 50 * MINUTE  # mains presence sensors and switched outlets: a state report


def spans(plan: DayPlan, inside: Callable[[Visit], bool]) -> list[Span]:
    """The stretches of the day where ``inside`` holds for her visit, merged."""
    found: list[Span] = []
    for visit in plan.visits:
        if not inside(visit):
            continue
        if found and abs(found[-1][1] - visit.start) < 1:
            found[-1] = (found[-1][0], visit.end)
        else:
            found.append((visit.start, visit.end))
    return found


@dataclass(frozen=True)
class Level:
    """A stretch where the sensor reads "on"; ``opens``/``closes``: its start and end fall
    in this day (not carried over midnight)."""

    start: float
    end: float
    opens: bool
    closes: bool


def levels(
    plan: DayPlan, previous: DayPlan | None, inside: Callable[[Visit], bool]
) -> tuple[list[Level], bool]:
    """The day's levels, and whether a level the day before left on ends at midnight."""
    carried = (
        previous is not None
        and bool(previous.visits)
        and inside(previous.visits[-1])
        and previous.visits[-1].end >= previous.length - 1
    )
    found = spans(plan, inside)
    stretches = [Level(a, b, not (carried and a < 1), b < plan.length - 1) for a, b in found]
    return stretches, carried and (not found or found[0][0] >= 1)


def in_bed(visit: Visit) -> bool:
    return visit.place == "bedroom" and (visit.activity in IN_BED or visit.activity == "nap")


def in_chair(visit: Visit) -> bool:
    return visit.place == "living_room" and visit.activity in IN_CHAIR


def mat_readings(
    plan: DayPlan,
    previous: DayPlan | None,
    inside: Callable[[Visit], bool],
    rng: np.random.Generator,
    *,
    pulses_per_hour: float | None = None,
) -> list[Item]:
    """A pressure mat (bed or chair): one steady level while she is on it, or, where the
    mat pulses (``pulses_per_hour``), 1-2 s pulses as she moves on it and nothing between."""
    stretches, dangling = levels(plan, previous, inside)
    out: list[Item] = [(0.5, "presence", False)] if dangling and pulses_per_hour is None else []
    # A pulsing mat pulses as she moves on it: not while she lies there collapsed.
    still = [(v.start, v.end) for v in plan.visits if v.activity == "collapsed"]
    for level in stretches:
        a, b = level.start, level.end
        if pulses_per_hour is None:
            if level.opens:
                out.append((a + rng.uniform(5, 40), "presence", True))
            if level.closes:
                out.append((max(a + 1, b - rng.uniform(1, 5)), "presence", False))
            continue
        moves = [a + rng.uniform(2, 20)] if level.opens else []
        t = a + rng.exponential(3600 / pulses_per_hour)
        while t < b - 5:
            if not any(c <= t < d for c, d in still):
                moves.append(t)
            t += rng.exponential(3600 / pulses_per_hour)
        if level.closes:
            moves.append(b - rng.uniform(3, 6))  # getting up
        for t in moves:
            out.append((t, "presence", True))
            out.append((t + rng.uniform(1, 2), "presence", False))
    return _at_least_half_a_second(out)


def bed_sensor_readings(
    plan: DayPlan, previous: DayPlan | None, profile: ResidentProfile, rng: np.random.Generator
) -> list[Item]:
    """A native under-mattress sensor: in bed or not every 5 minutes, and while she lies on
    it her heart and breathing rate; a change of in-bed at once."""
    stretches, dangling = levels(plan, previous, in_bed)
    beds = [(level.start, level.end) for level in stretches]
    out: list[Item] = [(0.5, "presence", False)] if dangling else []
    for level in stretches:
        if level.opens:
            out.append((level.start + rng.uniform(20, 60), "presence", True))
        if level.closes:
            out.append((level.end - rng.uniform(1, 5), "presence", False))
    phase = profile.vitals_phase % _BED_SENSOR_EVERY_S
    for t in np.arange(phase, plan.length, _BED_SENSOR_EVERY_S):
        t = float(t)
        lying = any(a + 60 <= t < b for a, b in beds)
        out.append((t, "presence", lying))
        if lying:
            out.append((t, "heart_rate", _asleep_heart_rate(plan, profile, t, rng)))
            rate = float(np.clip(round(rng.normal(14.0, 1.5)), 10, 20))
            out.append((t, "breathing_rate", rate))
    return _at_least_half_a_second(out)


def _asleep_heart_rate(
    plan: DayPlan, profile: ResidentProfile, t: float, rng: np.random.Generator
) -> float:
    for episode in plan.episodes:
        if episode.metric == "heart_rate" and episode.start <= t < episode.end:
            return float(round(rng.uniform(episode.low, episode.high)))
    return float(round(RESTING_HR + profile.hr_offset - 11 + rng.normal(0, 2)))


def room_presence_readings(
    plan: DayPlan, previous: DayPlan | None, room: str, rng: np.random.Generator, *, phase: float
) -> list[Item]:
    """An mmWave presence sensor: someone in its room (asleep included: it sees breathing),
    "fading" a little after she leaves, and its state about every 50 minutes."""
    stretches, dangling = levels(plan, previous, lambda v: v.place == room)
    present: list[Span] = []
    out: list[Item] = [(0.5, "presence", False)] if dangling else []
    for level in stretches:
        on = level.start + rng.uniform(1, 3) if level.opens else 0.0
        off = level.end + rng.uniform(*_PRESENCE_FADE_S)
        present.append((on, off))
        if level.opens:
            out.append((on, "presence", True))
        if level.closes:
            out.append((off, "presence", False))
    out += _state_reports(present, "presence", plan.length, _MAINS_REPORT_S, phase, rng)
    return _at_least_half_a_second(out)


def appliance_readings(
    plan: DayPlan,
    previous: DayPlan | None,
    device: DeviceConfig,
    rng: np.random.Generator,
    *,
    phase: float,
) -> list[Item]:
    """A plug or switched outlet: a kettle boils at some meals, a rice cooker cooks lunch and
    dinner, a television is on while she watches; kitchen appliances are told apart by id
    (``rice`` in it: a rice cooker, otherwise a kettle)."""
    out: list[Item] = []
    if device.role == "living_room":
        stretches, dangling = levels(plan, previous, _watching)
        out += [(0.5, "in_use", False)] if dangling else []
        uses = []
        for level in stretches:
            on = level.start + rng.uniform(5, 60) if level.opens else 0.0
            off = max(on + 1, level.end - rng.uniform(0, 20)) if level.closes else plan.length
            uses.append((on, off))
            out += [(on, "in_use", True)] if level.opens else []
            out += [(off, "in_use", False)] if level.closes else []
    else:
        uses = _rice(plan, rng) if "rice" in device.id else _kettle(plan, rng)
        for a, b in uses:
            out += [(a, "in_use", True), (b, "in_use", False)]
    metering = device.model is not None and any(
        e.above is not None for e in definition(device.model).exposes
    )
    every = _PLUG_REPORT_S if metering else _MAINS_REPORT_S
    out += _state_reports(uses, "in_use", plan.length, every, phase, rng)
    return _at_least_half_a_second(out)


def _watching(visit: Visit) -> bool:
    return visit.place == "living_room" and visit.activity == "tv"


def _kettle(plan: DayPlan, rng: np.random.Generator) -> list[Span]:
    uses = []
    for visit in plan.visits:
        if visit.place != "kitchen" or visit.duration < 4 * MINUTE:
            continue
        chance = 0.6 if visit.activity == "cook" else 0.15
        if rng.random() < chance:
            start = visit.start + rng.uniform(0.5, min(3.0, visit.duration / MINUTE - 3.5)) * MINUTE
            uses.append((start, start + rng.uniform(3, 6) * MINUTE))
    return uses


def _rice(plan: DayPlan, rng: np.random.Generator) -> list[Span]:
    uses = []
    for visit in plan.visits:
        hour = visit.start / 3600
        mealtime = 10.5 <= hour < 13 or 16.5 <= hour < 20
        cooks = visit.activity == "cook" and mealtime and visit.duration >= 15 * MINUTE
        if cooks and rng.random() < 0.7:
            start = visit.start + rng.uniform(2, 8) * MINUTE
            uses.append((start, start + rng.uniform(25, 45) * MINUTE))
    return uses


def _state_reports(
    on: list[Span],
    metric: str,
    length: float,
    every: float,
    phase: float,
    rng: np.random.Generator,
) -> list[Item]:
    out = []
    for t in np.arange(phase % every, length, every):
        t = float(t + rng.uniform(-0.05, 0.05) * every)
        out.append((t, metric, any(a <= t < b for a, b in on)))
    return out


def _at_least_half_a_second(items: list[Item]) -> list[Item]:
    # The first instant of a run belongs to the start; nothing is sent at a negative time.
    return [(max(0.5, t), metric, value) for t, metric, value in items if math.isfinite(t)]
