"""A simulated care-home floor over days: each resident's nights in bed and out of it, the
floor's incidents, and the ground truth the institutional detectors are judged by.

Per resident and night: in bed from lights-out (20:30-21:30) to getting up (06:05-06:45),
with a nap after lunch for some; out of bed at night a few times (toilet trips, mostly
3-8 min; quick returns under 2 min; now and then a long wakeful hour). Residents who
wander now and then leave the unit through its door and are brought back by staff;
staff use the door all night. Scripted: falls in the bathroom on a night trip, calls on
the bed's button, a slow heart in bed; bed sensors drop out now and then (Wi-Fi lost).

Ground truth (simulators.incidents.GroundTruth), with the alert each expects:

- ``bed_exit_at_risk``, ``bed_exit_high`` (``bed_exit``): an at-risk resident out of bed at
  night for longer than the grace (analytics.institution.BedExitSettings), a high-risk one
  out of bed at night at all;
- ``long_out_of_bed`` (``not_back_in_bed``): out of bed at night for longer than its limit;
- ``wandering`` (``left_unit_at_night``): she opened the unit door at night;
- ``fall_in_room`` (``fall``), ``call`` (``call``), ``slow_heart_in_bed``
  (``abnormal_heart_rate``), ``bed_sensor_dropout`` (``device_offline``).

The readings are rendered by simulators/floor_sensors.py; nothing depends on the clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from analytics.institution import BedExitSettings, NotBackInBedSettings
from contracts.home import HomeConfig
from contracts.reading import Reading

from .floor_sensors import render_bed
from .incidents import GroundTruth
from .resident import DAY, HOUR, MINUTE, rng_for

STREAM_NIGHTS, STREAM_SCRIPT, STREAM_DOOR = 41, 42, 43
INSTITUTION_EXPECTED_ALERT: dict[str, str] = {
    "bed_exit_at_risk": "bed_exit",
    "bed_exit_high": "bed_exit",
    "long_out_of_bed": "not_back_in_bed",
    "wandering": "left_unit_at_night",
    "fall_in_room": "fall",
    "call": "call",
    "slow_heart_in_bed": "abnormal_heart_rate",
    "bed_sensor_dropout": "device_offline",
}
# Per 30 days: scripted events of the whole floor, and of each bed.
FALLS_PER_FLOOR_MONTH = 4
SLOW_HEARTS_PER_FLOOR_MONTH = 2
CALLS_PER_BED_MONTH = 3
DROPOUTS_PER_BED_MONTH = 1.5
WANDER_NIGHT_SHARE = 0.12  # nights a resident who wanders leaves the unit
STAFF_DOOR_PER_NIGHT = 8
VISITOR_DOOR_PER_DAY = 30


@dataclass(frozen=True)
class Exit:
    """Out of bed from ``start`` to ``end`` (epoch s); what she did meanwhile."""

    start: float
    end: float
    kind: str  # toilet, quick, long, wander, fall
    bathroom: tuple[float, float] | None = None
    door: tuple[float, float] | None = None  # the unit door: out, back
    fall: tuple[float, float] | None = None  # on the floor from, until


@dataclass
class BedPlan:
    """One bed over the run: her stretches in bed and out, and what happens to her."""

    config: HomeConfig
    in_bed: list[tuple[float, float]] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    day_bathroom: list[tuple[float, float]] = field(default_factory=list)
    calls: list[float] = field(default_factory=list)
    dropouts: list[tuple[float, float]] = field(default_factory=list)
    slow_heart: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class BedSimulation:
    """One bed of the floor: its readings (shared devices included) and its ground truth."""

    plan: BedPlan
    roommate: BedPlan | None
    door: Sequence[tuple[float, str]]
    first: float
    last: float
    seed: int
    truth: list[GroundTruth]

    @property
    def home(self) -> HomeConfig:
        return self.plan.config

    def readings(self) -> Iterator[Reading]:
        """The run in event time; a fresh, identical sequence on every call."""
        return render_bed(self.plan, self.roommate, self.door, self.first, self.last, self.seed)


def simulate_floor(
    configs: Sequence[HomeConfig],
    *,
    start: datetime,
    days: float,
    seed: int,
    scripted: bool = True,
) -> list[tuple[HomeConfig, BedSimulation]]:
    """Every bed of the floor from ``start`` (local midnight) for ``days`` days; without
    ``scripted``, no falls, calls or slow hearts (nights, wandering and dropouts stay)."""
    first = start.timestamp()
    last = first + days * DAY
    nights = int(np.ceil(days))
    plans = [_plan_bed(config, first, nights, seed) for config in configs]
    _script_floor(plans, first, days, seed, scripted)
    door = _unit_door(first, nights, seed, plans)
    by_room: dict[str, list[BedPlan]] = {}
    for plan in plans:
        by_room.setdefault(_room(plan.config), []).append(plan)
    runs = []
    for plan in plans:
        mates = [p for p in by_room[_room(plan.config)] if p is not plan]
        mate = mates[0] if mates else None
        truth = [t for t in ground_truth(plan, mate) if first <= t.start.timestamp() < last]
        runs.append((plan.config, BedSimulation(plan, mate, door, first, last, seed, truth)))
    return runs


def _room(config: HomeConfig) -> str:
    return config.place.room if config.place else config.home


def _plan_bed(config: HomeConfig, first: float, nights: int, seed: int) -> BedPlan:
    rng = rng_for(seed, config.home, STREAM_NIGHTS)
    plan = BedPlan(config)
    trips_per_night = float(rng.uniform(0.5, 2.5))
    napper = rng.random() < 0.5
    wanders = config.resident.wanders
    lay_down = first - 3 * HOUR  # in bed since the evening before the run
    for day in range(nights + 1):
        midnight = first + day * DAY
        wake = midnight + float(rng.uniform(6.1, 6.75)) * HOUR
        exits = _night_exits(rng, lay_down, wake, trips_per_night, wanders)
        plan.exits += exits
        cursor = lay_down
        for out in exits:
            plan.in_bed.append((cursor, out.start))
            cursor = out.end
        plan.in_bed.append((cursor, wake))
        for hour in sorted(rng.uniform(7, 20, size=int(rng.integers(4, 8)))):
            a = midnight + float(hour) * HOUR
            plan.day_bathroom.append((a, a + float(rng.uniform(3, 8)) * MINUTE))
        if napper:
            nap = midnight + float(rng.uniform(12.5, 13.25)) * HOUR
            plan.in_bed.append((nap, nap + float(rng.uniform(30, 90)) * MINUTE))
        lay_down = midnight + float(rng.uniform(20.5, 21.5)) * HOUR
    plan.in_bed.sort()
    plan.day_bathroom = [s for s in plan.day_bathroom if not _overlaps(s, plan.in_bed)]
    return plan


def _night_exits(
    rng: np.random.Generator, bed: float, wake: float, rate: float, wanders: bool
) -> list[Exit]:
    """Her trips out of bed between ``bed`` and ``wake``, apart and in order."""
    count = int(rng.poisson(rate))
    earliest, latest = bed + 30 * MINUTE, wake - 20 * MINUTE
    starts = sorted(float(t) for t in rng.uniform(earliest, latest, size=count))
    wander_at = (
        int(rng.integers(count)) if wanders and count and rng.random() < WANDER_NIGHT_SHARE else -1
    )
    exits: list[Exit] = []
    for i, start in enumerate(starts):
        if exits and start < exits[-1].end + 10 * MINUTE:
            continue
        out = _wander(rng, start) if i == wander_at else _trip(rng, start)
        if out.end > latest + 15 * MINUTE:
            continue
        exits.append(out)
    return exits


def _trip(rng: np.random.Generator, start: float) -> Exit:
    draw = rng.random()
    if draw < 0.12:  # sat up, fetched something, lay down again
        return Exit(start, start + float(rng.uniform(0.4, 2.0)) * MINUTE, "quick")
    if draw < 0.17:  # awake for an hour: the bathroom, then the chair or the corridor
        length = float(rng.uniform(25, 75)) * MINUTE
        bath = (start + 0.7 * MINUTE, start + float(rng.uniform(4, 8)) * MINUTE)
        return Exit(start, start + length, "long", bathroom=bath)
    length = float(np.clip(rng.lognormal(np.log(5.0), 0.35), 2.0, 15.0)) * MINUTE
    return Exit(
        start,
        start + length,
        "toilet",
        bathroom=(start + 0.7 * MINUTE, start + length - 0.7 * MINUTE),
    )


def _wander(rng: np.random.Generator, start: float) -> Exit:
    out = start + float(rng.uniform(1.0, 4.0)) * MINUTE
    back = out + float(rng.uniform(10, 40)) * MINUTE  # staff find her and bring her back
    end = back + float(rng.uniform(3, 8)) * MINUTE
    return Exit(start, end, "wander", door=(out, back))


def _overlaps(span: tuple[float, float], spans: Sequence[tuple[float, float]]) -> bool:
    return any(a < span[1] and span[0] < b for a, b in spans)


def _script_floor(
    plans: list[BedPlan], first: float, days: float, seed: int, scripted: bool
) -> None:
    """Falls, calls, slow hearts and sensor dropouts over the floor, from the run's seed."""
    rng = rng_for(seed, "floor", STREAM_SCRIPT)
    months = days / 30 if scripted else 0.0
    dropout_months = days / 30
    for _ in range(int(rng.poisson(FALLS_PER_FLOOR_MONTH * months))):
        plan = plans[int(rng.integers(len(plans)))]
        trips = [
            i for i, e in enumerate(plan.exits) if e.kind == "toilet" and e.start >= first + DAY
        ]
        if trips:
            _fall_on(plan, trips[int(rng.integers(len(trips)))], rng)
    for _ in range(int(rng.poisson(SLOW_HEARTS_PER_FLOOR_MONTH * months))):
        plan = plans[int(rng.integers(len(plans)))]
        long_nights = [(a, b) for a, b in plan.in_bed if b - a > 2 * HOUR and a >= first + DAY]
        if long_nights:
            a, b = long_nights[int(rng.integers(len(long_nights)))]
            onset = float(rng.uniform(a + 20 * MINUTE, b - 80 * MINUTE))
            plan.slow_heart.append((onset, onset + float(rng.uniform(40, 60)) * MINUTE))
    for plan in plans:
        for _ in range(int(rng.poisson(CALLS_PER_BED_MONTH * months))):
            plan.calls.append(first + float(rng.uniform(0.1, days)) * DAY)
        for _ in range(int(rng.poisson(DROPOUTS_PER_BED_MONTH * dropout_months))):
            a = first + float(rng.uniform(0.2, days)) * DAY
            plan.dropouts.append((a, a + float(rng.uniform(25, 120)) * MINUTE))
        plan.calls.sort()
        plan.dropouts.sort()


def _fall_on(plan: BedPlan, index: int, rng: np.random.Generator) -> None:
    """She falls in the bathroom on this trip and lies there until staff come."""
    trip = plan.exits[index]
    fell = trip.start + float(rng.uniform(1.0, 3.0)) * MINUTE
    found = fell + float(rng.uniform(8, 25)) * MINUTE
    end = found + float(rng.uniform(8, 15)) * MINUTE
    following = [e.start for e in plan.exits[index + 1 :]] + [
        b for a, b in plan.in_bed if a >= trip.end
    ]
    if following and end >= min(following) - 5 * MINUTE:
        return  # too close to her next move: keep the plan simple and consistent
    bathroom = (trip.start + 0.7 * MINUTE, found)
    plan.exits[index] = Exit(trip.start, end, "fall", bathroom=bathroom, fall=(fell, found))
    plan.in_bed = [(end, b) if a == trip.end else (a, b) for a, b in plan.in_bed]


def _unit_door(
    first: float, nights: int, seed: int, plans: Sequence[BedPlan]
) -> list[tuple[float, str]]:
    """Staff, visitors and wandering residents through the unit door (``open`` then
    ``closed``), as every bed's config sees it."""
    rng = rng_for(seed, "floor", STREAM_DOOR)
    passes: list[float] = []
    for day in range(nights + 1):
        midnight = first + day * DAY
        night = rng.uniform(
            midnight - 3 * HOUR, midnight + 6 * HOUR, int(rng.poisson(STAFF_DOOR_PER_NIGHT))
        )
        visits = rng.uniform(
            midnight + 8 * HOUR, midnight + 20 * HOUR, int(rng.poisson(VISITOR_DOOR_PER_DAY))
        )
        passes += [float(t) for t in (*night, *visits)]
    passes += [t for plan in plans for e in plan.exits if e.door for t in e.door]
    door = []
    for t in sorted(passes):
        door += [(t, "open"), (t + float(rng.uniform(5, 25)), "closed")]
    return door


def ground_truth(plan: BedPlan, roommate: BedPlan | None = None) -> list[GroundTruth]:
    """What should be alerted at this bed, from her plan (events by start time); a fall in
    the room (hers or her roommate's) is seen by the room's radar in both beds' configs."""
    config = plan.config
    risk = config.resident.fall_risk
    exits = BedExitSettings()
    grace = exits.at_risk_after_s if risk == "at_risk" else exits.high_after_s
    long_s = NotBackInBedSettings().after_s
    found: list[GroundTruth] = []

    def night(t: float) -> bool:
        return config.night.contains(_at(t, config).time())

    def truth(kind: str, span: tuple[float, float], device: str | None = None, **details: Any):
        start, end = (_at(t, config) for t in span)
        expected = INSTITUTION_EXPECTED_ALERT[kind]
        found.append(GroundTruth(config.home, kind, expected, start, end, device, details))

    for out in plan.exits:
        length, minutes = out.end - out.start, round((out.end - out.start) / 60, 1)
        if risk != "none" and night(out.start) and length > grace:
            truth(f"bed_exit_{risk}", (out.start, out.end), minutes=minutes, trip=out.kind)
        if night(out.start) and length > long_s and night(out.start + long_s):
            truth("long_out_of_bed", (out.start, out.end), minutes=minutes, trip=out.kind)
        if out.door and config.resident.wanders and night(out.door[0]):
            truth("wandering", (out.door[0], out.end), "unit_door")
    for out in plan.exits + (roommate.exits if roommate else []):
        if out.fall:
            truth("fall_in_room", out.fall, "radar_bath")
    for press in plan.calls:
        truth("call", (press, press + MINUTE), "call_bed")
    for span in plan.slow_heart:
        truth("slow_heart_in_bed", span, "bed_sensor")
    for a, b in plan.dropouts:
        truth("bed_sensor_dropout", (a, b), "bed_sensor", minutes=round((b - a) / 60))
    return sorted(found, key=lambda t: t.start)


def _at(epoch: float, config: HomeConfig) -> datetime:
    return datetime.fromtimestamp(epoch, config.tz)
