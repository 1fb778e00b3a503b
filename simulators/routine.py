"""A resident's day as a plan: where she is (visits), what she does that a wearable would
notice (gestures), and what incidents add (episodes, outages, device events, visitors).

Times in a plan are seconds after the local midnight of that day. A day always starts and
ends with the resident asleep in bed, so each day can be planned on its own from its own
random generator.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .resident import DAY, HOUR, MINUTE, ResidentProfile

Place = Literal["bedroom", "bathroom", "kitchen", "living_room", "out"]
HOME_PLACES = ("bedroom", "bathroom", "kitchen", "living_room")

# Activities where she lies or sits still: the ones a "rest" episode (or a collapse) can use.
RESTING = frozenset({"tv", "rest", "nap", "sleep", "in_bed", "collapsed", "long_stay"})
ASLEEP = frozenset({"sleep", "nap", "away_sleep"})
# Days away at a daughter's: out of the home, the bracelet on her wrist and its charger along.
AWAY = frozenset({"away", "away_sleep"})


@dataclass(frozen=True)
class Visit:
    """She is at one place doing one thing from start to end (seconds after midnight)."""

    place: Place
    activity: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


GestureKind = Literal[
    "sit_hard", "lie_down", "pick_up", "wrist_bang", "clap", "fall", "fall_recovered"
]


@dataclass(frozen=True)
class Gesture:
    """A movement that jolts a wearable enough for it to upload an accelerometer window.

    ``t`` is the moment of contact (seat, bed, floor, table); ``before`` is what she was
    doing just before (walk, stand, sit). For a fall she gets back on her feet
    ``recover_after`` seconds after the impact, or (None) stays down.
    """

    kind: GestureKind
    t: float
    before: Literal["walk", "stand", "sit"] = "walk"
    recover_after: float | None = None


@dataclass(frozen=True)
class Episode:
    """A stretch where a vital sign runs outside her normal range (from an incident)."""

    metric: Literal["heart_rate", "spo2"]
    start: float
    end: float
    low: float
    high: float


@dataclass(frozen=True)
class Outage:
    """A device says nothing from start to end: out of range, stuck, or its network is down."""

    device: str
    start: float
    end: float


@dataclass(frozen=True)
class DeviceEvent:
    """A reading an incident causes directly: a button press, a radar's fall verdict."""

    t: float
    device: str
    metric: str
    value: bool | float | str


@dataclass(frozen=True)
class Visitor:
    """Someone with a key comes in (help, family) and leaves again."""

    arrive: float
    leave: float


@dataclass(frozen=True)
class DayPlan:
    day: int
    length: float  # seconds in this local day (86400 except on DST changes)
    wake: float
    bedtime: float
    visits: tuple[Visit, ...]  # contiguous, covering [0, length)
    gestures: tuple[Gesture, ...] = ()
    off_wrist: tuple[tuple[float, float], ...] = ()  # bracelet on its charger
    pendant_worn: tuple[float, float] | None = None
    episodes: tuple[Episode, ...] = ()
    outages: tuple[Outage, ...] = ()
    events: tuple[DeviceEvent, ...] = ()
    visitors: tuple[Visitor, ...] = ()
    # battery_low: the moment the bracelet battery is to drop below 15 %.
    battery_low_at: float | None = None
    # When the night's sleep that ends at ``wake`` began (0: asleep since before midnight;
    # a night owl's at 01:45 is 6300) and whether she spends any of the day away.
    asleep_at: float = 0.0
    away: bool = False

    def visit_at(self, t: float) -> Visit:
        for visit in self.visits:
            if visit.contains(t):
                return visit
        return self.visits[-1]

    def replace_span(self, start: float, end: float, visits: Sequence[Visit]) -> DayPlan:
        """Put ``visits`` (which tile [start, end)) in place of whatever was planned then."""
        start, end = max(0.0, start), min(self.length, end)
        kept: list[Visit] = []
        for visit in self.visits:
            if visit.end <= start or visit.start >= end:
                kept.append(visit)
                continue
            if visit.start < start:
                kept.append(replace(visit, end=start))
            if visit.end > end:
                kept.append(replace(visit, start=end))
        new = [v for v in visits if v.end > v.start and v.start < self.length]
        merged = sorted([*kept, *new], key=lambda v: v.start)
        return replace(self, visits=tuple(merged))

    def quiet(self, start: float, end: float) -> DayPlan:
        """No gestures and no charging in [start, end): she is not moving, the band stays on."""
        return replace(
            self,
            gestures=tuple(g for g in self.gestures if not start - 90 <= g.t < end),
            off_wrist=tuple(w for w in self.off_wrist if w[1] <= start or w[0] >= end),
        )


def plan_day(
    profile: ResidentProfile, day: int, rng: np.random.Generator, *, length: float = DAY
) -> DayPlan:
    """An ordinary day of this resident, different each day but in her own habits."""
    wake = float(np.clip(rng.normal(profile.wake_mean, 15 * MINUTE), 6 * HOUR, 7.5 * HOUR))
    bedtime = float(np.clip(rng.normal(profile.bedtime_mean, 15 * MINUTE), 21.5 * HOUR, 23 * HOUR))
    day_plan = DayBuilder(rng, length)

    morning_visits, evening_visits = night_visits(profile, rng, wake, bedtime, length)
    for at in morning_visits:
        day_plan.add_until("bedroom", "sleep", at)
        day_plan.add("bathroom", "night_toilet", rng.uniform(3, 8) * MINUTE)
    day_plan.add_until("bedroom", "sleep", wake)
    day_plan.last_bathroom = wake

    day_plan.add("bathroom", "wash", rng.uniform(8, 16) * MINUTE)
    day_plan.add("kitchen", "cook", rng.uniform(10, 20) * MINUTE)
    day_plan.add("living_room", "eat", rng.uniform(15, 25) * MINUTE)

    goes_out = rng.random() < profile.outing_prob
    out_in_morning = goes_out and rng.random() < 0.75
    if out_in_morning:
        leave = max(day_plan.cursor + rng.uniform(10, 40) * MINUTE, rng.uniform(8, 9.5) * HOUR)
        day_plan.fill_until(leave)
        activity = "market" if rng.random() < 0.5 else "walk"
        day_plan.add("out", activity, rng.uniform(30, 120) * MINUTE)

    day_plan.fill_until(rng.uniform(11, 11.6) * HOUR)
    day_plan.add("kitchen", "cook", rng.uniform(20, 40) * MINUTE)
    day_plan.add("living_room", "eat", rng.uniform(20, 30) * MINUTE)

    if rng.random() < profile.nap_prob:
        day_plan.fill_until(rng.uniform(12.75, 13.5) * HOUR)
        place = "bedroom" if rng.random() < 0.7 else "living_room"
        day_plan.add(place, "nap", rng.uniform(30, 90) * MINUTE)

    if goes_out and not out_in_morning:
        day_plan.fill_until(rng.uniform(15, 16.5) * HOUR)
        day_plan.add("out", "walk", rng.uniform(30, 90) * MINUTE)

    day_plan.fill_until(rng.uniform(17, 18) * HOUR)
    day_plan.add("kitchen", "cook", rng.uniform(20, 40) * MINUTE)
    day_plan.add("living_room", "eat", rng.uniform(20, 30) * MINUTE)

    wash = rng.uniform(10, 15) * MINUTE
    day_plan.fill_until(bedtime - wash, evening=True)
    day_plan.add_until("bathroom", "wash", bedtime)
    for at in evening_visits:
        day_plan.add_until("bedroom", "sleep", at)
        day_plan.add("bathroom", "night_toilet", rng.uniform(3, 8) * MINUTE)
    day_plan.add_until("bedroom", "sleep", length)

    visits = tuple(day_plan.visits)
    return DayPlan(
        day=day,
        length=length,
        wake=wake,
        bedtime=bedtime,
        visits=visits,
        gestures=gestures(visits, (bedtime,), rng),
        off_wrist=charging(profile, day, visits, bedtime, rng),
        pendant_worn=(wake + rng.uniform(10, 25) * MINUTE, bedtime - rng.uniform(5, 15) * MINUTE),
    )


def charging_window(
    visits: Sequence[Visit], earliest: float, latest: float, minutes: float
) -> tuple[float, float] | None:
    """The first stretch in [earliest, latest] when she is at home and awake for ``minutes``."""
    duration = minutes * MINUTE
    t = earliest
    while t + duration <= latest:
        blocking = [
            v
            for v in visits
            if v.start < t + duration
            and v.end > t
            and ((v.place == "out" and v.activity != "away") or v.activity in ASLEEP)
        ]
        if not blocking:
            return (t, t + duration)
        t = max(v.end for v in blocking) + 5 * MINUTE
    return None


class DayBuilder:
    """Lays visits end to end, filling the gaps between fixed points with life at home."""

    def __init__(
        self,
        rng: np.random.Generator,
        length: float,
        sitting: Callable[[np.random.Generator], float] | None = None,
    ) -> None:
        self.rng = rng
        self.length = length
        self.visits: list[Visit] = []
        self.cursor = 0.0
        self.last_bathroom = 0.0
        # How long she sits at a stretch in the living room (None: 15-60 min).
        self.sitting = sitting

    def add(self, place: Place, activity: str, duration: float) -> None:
        self.add_until(place, activity, self.cursor + duration)

    def add_until(self, place: Place, activity: str, end: float) -> None:
        end = min(end, self.length)
        if end <= self.cursor + 1:
            return
        if self.visits and self.visits[-1].place == place and self.visits[-1].activity == activity:
            self.visits[-1] = replace(self.visits[-1], end=end)
        else:
            self.visits.append(Visit(place, activity, self.cursor, end))
        if place == "bathroom":
            self.last_bathroom = end
        self.cursor = end

    def fill_until(self, end: float, *, evening: bool = False) -> None:
        """Ordinary time at home: TV, resting, small chores, a bathroom visit every few hours."""
        rng = self.rng
        while self.cursor < end - 2 * MINUTE:
            if self.cursor - self.last_bathroom > rng.uniform(1.5, 3) * HOUR:
                self.add("bathroom", "toilet", rng.uniform(3, 9) * MINUTE)
                continue
            if rng.random() < (0.2 if evening else 0.35):
                place: Place = "kitchen" if rng.random() < 0.5 else "living_room"
                self.add(place, "chores", min(rng.uniform(5, 20) * MINUTE, end - self.cursor))
                continue
            afternoon = self.cursor > 14 * HOUR
            activity = "tv" if afternoon or rng.random() < 0.4 else "rest"
            sitting = self.sitting(rng) if self.sitting else rng.uniform(15, 60) * MINUTE
            self.add("living_room", activity, min(sitting, end - self.cursor))
        if self.cursor < end:
            self.add_until("living_room", "rest", end)


def night_visits(
    profile: ResidentProfile, rng: np.random.Generator, wake: float, bedtime: float, length: float
) -> tuple[list[float], list[float]]:
    """Bathroom trips at night: some after midnight, the odd one before it."""
    count = int(min(3, rng.poisson(profile.night_visits_mean)))
    windows = [(20 * MINUTE, wake - 40 * MINUTE), (bedtime + 40 * MINUTE, length - 25 * MINUTE)]
    weights = np.array([max(0.0, b - a) for a, b in windows])
    morning: list[float] = []
    evening: list[float] = []
    for _ in range(count):
        which = int(rng.choice(2, p=weights / weights.sum())) if weights.sum() > 0 else 0
        a, b = windows[which]
        if b <= a:
            continue
        at = float(rng.uniform(a, b))
        chosen = morning if which == 0 else evening
        if all(abs(at - other) > 30 * MINUTE for other in chosen):
            chosen.append(at)
    return sorted(morning), sorted(evening)


def gestures(
    visits: Sequence[Visit], bedtimes: Collection[float], rng: np.random.Generator
) -> tuple[Gesture, ...]:
    """The everyday moves that look like falls to a wearable: sitting or lying down hard,
    bending to pick something up, a wrist knocking the table, clapping along to the TV."""
    found: list[Gesture] = []

    def maybe(
        kind: GestureKind, visit: Visit, chance: float, lo: float, hi: float, before: str
    ) -> None:
        if rng.random() >= chance:
            return
        latest = min(hi, visit.duration - 30)
        if latest > lo:
            found.append(Gesture(kind, visit.start + float(rng.uniform(lo, latest)), before))  # type: ignore[arg-type]

    for visit in visits:
        if visit.activity in {"tv", "rest"}:
            maybe("sit_hard", visit, 0.25, 5, 25, "walk")
        if visit.activity == "eat":
            maybe("sit_hard", visit, 0.25, 5, 20, "walk")
            maybe("wrist_bang", visit, 0.25, 120, visit.duration, "sit")
        if visit.activity in {"cook", "chores"}:
            maybe("pick_up", visit, 0.3, 60, visit.duration, "stand")
        if visit.activity == "tv":
            maybe("clap", visit, 0.12, 300, visit.duration, "sit")
        if visit.activity == "nap":
            maybe("lie_down", visit, 0.8, 30, 90, "sit")
        if visit.activity == "sleep" and any(abs(visit.start - b) < 1 for b in bedtimes):
            maybe("lie_down", visit, 0.9, 60, 240, "sit")
    # A wearable's upload window lasts about a minute: moves closer than that are one window.
    found.sort(key=lambda g: g.t)
    spaced: list[Gesture] = []
    for gesture in found:
        if not spaced or gesture.t - spaced[-1].t > 100:
            spaced.append(gesture)
    return tuple(spaced)


def charging(
    profile: ResidentProfile,
    day: int,
    visits: Sequence[Visit],
    bedtime: float,
    rng: np.random.Generator,
) -> tuple[tuple[float, float], ...]:
    # She never forgets two days running (day parity), so the battery cannot run low by chance.
    if day % 2 == 1 and rng.random() > profile.charge_prob:
        return ()
    minutes = rng.uniform(60, 120)
    evening = (rng.uniform(18.8, 19.8) * HOUR, bedtime - 20 * MINUTE)
    afternoon = (rng.uniform(13.8, 15.0) * HOUR, 17 * HOUR)
    for earliest, latest in (
        (evening, afternoon) if profile.charges_in_evening else (afternoon, evening)
    ):
        window = charging_window(visits, earliest, latest, minutes)
        if window:
            return (window,)
    return ()
