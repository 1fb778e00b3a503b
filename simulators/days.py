"""A run of days in the life of a messy resident (simulators/life.py): she may still be up,
or out, when a day begins, come home after midnight, nap in the armchair, and spend days
away at her children's.

Days are planned one after the other, each from its own generator and what the evening
before left her doing (``Carry``), so a run stays deterministic per seed. Trips are laid
over the planned days afterwards: she leaves after breakfast one day and is back in the
afternoon days later. The tidy resident (no habits) keeps routine.plan_day, where every
day begins and ends asleep.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .life import EVENING_OUTING, LONGEST_OUTING, Habits, outing_length, sitting_length
from .resident import DAY, HOUR, MINUTE, STREAM_ROUTINE, ResidentProfile, rng_for
from .routine import (
    DayBuilder,
    DayPlan,
    Place,
    Visit,
    charging,
    gestures,
    night_visits,
    plan_day,
)

STREAM_TRIPS = 8
_SLOTS = ("morning", "afternoon", "evening")


@dataclass(frozen=True)
class Carry:
    """What she is doing at the midnight a day begins with (times after that midnight)."""

    state: Literal["asleep", "up", "out"] = "asleep"
    since: float = 0.0  # asleep: went to bed then (0 or before: before midnight)
    until: float = 0.0  # out: back home then
    bedtime: float = 0.0  # up or out: goes to bed then
    activity: str = "walk"  # out: doing what


@dataclass(frozen=True)
class Trip:
    """Days away: leaves on ``leave_day`` at ``leave_at``, back on ``back_day`` at ``back_at``."""

    leave_day: int
    leave_at: float
    back_day: int
    back_at: float

    def days(self) -> range:
        return range(self.leave_day, self.back_day + 1)


def plan_days(
    profile: ResidentProfile,
    lengths: Sequence[float],
    seed: int,
    *,
    keep_home: Collection[int] = (),
) -> tuple[list[DayPlan], list[Trip]]:
    """Every day of the run, and her days away; no trip touches a day in ``keep_home``
    (scripted incidents)."""
    home = profile.home
    if profile.habits is None:
        return [
            plan_day(profile, k, rng_for(seed, home, STREAM_ROUTINE, k), length=length)
            for k, length in enumerate(lengths)
        ], []
    plans: list[DayPlan] = []
    carry = Carry()
    for k, length in enumerate(lengths):
        rng = rng_for(seed, home, STREAM_ROUTINE, k)
        plan, carry = plan_messy_day(profile, k, rng, length=length, carry=carry)
        plans.append(plan)
    trips = draw_trips(profile.habits, len(lengths), rng_for(seed, home, STREAM_TRIPS), keep_home)
    for trip in trips:
        for k in trip.days():
            if k < len(plans):
                rng = rng_for(seed, home, STREAM_TRIPS, k)
                plans[k] = _away(plans[k], profile, trip, rng)
    return plans, trips


def draw_trips(
    habits: Habits, days: int, rng: np.random.Generator, keep_home: Collection[int]
) -> list[Trip]:
    """Days away, never in the first two days (the home is being learned)."""
    trips: list[Trip] = []
    k = 2
    chance = habits.trips_per_month / 30
    while k < days:
        if chance > 0 and rng.random() < chance:
            nights = int(rng.integers(1, 5))
            trip = Trip(
                k,
                float(rng.uniform(8.5, 16)) * HOUR,
                k + nights,
                float(rng.uniform(10, 19)) * HOUR,
            )
            if not any(day in keep_home for day in trip.days()):
                trips.append(trip)
                k = trip.back_day + 3
                continue
        k += 1
    return trips


def plan_messy_day(
    profile: ResidentProfile,
    day: int,
    rng: np.random.Generator,
    *,
    length: float = DAY,
    carry: Carry = Carry(),
) -> tuple[DayPlan, Carry]:
    """One day of a messy resident, and what she is doing when it ends."""
    habits = profile.habits
    assert habits is not None, "a messy day needs the resident's habits"
    wake = float(np.clip(rng.normal(profile.wake_mean, habits.wake_sd), 4.5 * HOUR, 13 * HOUR))
    bedtime = float(
        np.clip(rng.normal(profile.bedtime_mean, habits.bedtime_sd), 20.5 * HOUR, 27.5 * HOUR)
    )
    slots = _outing_slots(habits, rng)
    builder = DayBuilder(rng, length, sitting=sitting_length)
    asleep_at = _night_begins(builder, carry, rng)
    wake = max(wake, asleep_at + 4 * HOUR)
    _night(builder, profile, rng, asleep_at, wake)
    back = _daytime(builder, habits, rng, slots)
    bedtime, next_carry = _evening(builder, habits, rng, bedtime, back, "evening" in slots)
    visits = tuple(builder.visits)
    end_of_day = min(bedtime, length)
    plan = DayPlan(
        day=day,
        length=length,
        wake=wake,
        bedtime=bedtime,
        visits=visits,
        gestures=gestures(visits, (bedtime, asleep_at), rng),
        off_wrist=charging(profile, day, visits, end_of_day, rng),
        pendant_worn=(
            wake + rng.uniform(10, 25) * MINUTE,
            end_of_day - rng.uniform(5, 15) * MINUTE,
        ),
        asleep_at=asleep_at,
    )
    return plan, next_carry


def _outing_slots(habits: Habits, rng: np.random.Generator) -> set[str]:
    count = min(3, int(rng.poisson(habits.outings_per_day)))
    if count == 0:
        return set()
    weights = np.array(habits.slot_weights) + 1e-9
    chosen = rng.choice(3, size=count, replace=False, p=weights / weights.sum())
    return {_SLOTS[int(i)] for i in chosen}


def _night_begins(builder: DayBuilder, carry: Carry, rng: np.random.Generator) -> float:
    """Lay out what the evening before left her doing; return when she went to sleep."""
    if carry.state == "asleep":
        return carry.since
    if carry.state == "out":
        builder.add_until("out", carry.activity, carry.until)
    wash = rng.uniform(8, 15) * MINUTE
    builder.fill_until(carry.bedtime - wash, evening=True)
    builder.add_until("bathroom", "wash", max(builder.cursor + wash, carry.bedtime))
    return builder.cursor


def _night(
    builder: DayBuilder,
    profile: ResidentProfile,
    rng: np.random.Generator,
    asleep_at: float,
    wake: float,
) -> None:
    """Asleep until ``wake``, with her night's trips to the bathroom."""
    # routine.night_visits places trips after midnight and before waking; a night owl's
    # night begins after midnight, so only the trips after she went to bed are kept.
    early, _ = night_visits(profile, rng, wake, DAY, DAY)
    for at in early:
        if at > asleep_at + 30 * MINUTE:
            builder.add_until("bedroom", "sleep", at)
            builder.add("bathroom", "night_toilet", rng.uniform(3, 8) * MINUTE)
    builder.add_until("bedroom", "sleep", wake)
    builder.last_bathroom = builder.cursor


def _daytime(
    builder: DayBuilder, habits: Habits, rng: np.random.Generator, slots: set[str]
) -> float:
    """Breakfast, lunch and dinner at home unless she is out at mealtime; outings; a nap.
    Returns when she came back from her last outing (0: none)."""
    back = 0.0
    builder.add("bathroom", "wash", rng.uniform(8, 16) * MINUTE)
    builder.add("kitchen", "cook", rng.uniform(10, 20) * MINUTE)
    builder.add("living_room", "eat", rng.uniform(15, 25) * MINUTE)
    if "morning" in slots:
        leave = max(builder.cursor + rng.uniform(10, 40) * MINUTE, rng.uniform(8, 10.5) * HOUR)
        back = _outing(builder, habits, rng, leave, ("market", "walk"))
    _meal(builder, rng, rng.uniform(11.25, 12.25) * HOUR, (20, 40))
    if rng.random() < habits.nap_prob and builder.cursor < 14.5 * HOUR:
        builder.fill_until(rng.uniform(12.75, 13.75) * HOUR)
        place: Place = "bedroom" if rng.random() < habits.nap_in_bed else "living_room"
        builder.add(place, "nap", rng.uniform(30, 90) * MINUTE)
    if "afternoon" in slots:
        leave = max(builder.cursor + rng.uniform(10, 40) * MINUTE, rng.uniform(14, 16.5) * HOUR)
        back = _outing(builder, habits, rng, leave, ("walk", "market", "visit"))
    _meal(builder, rng, rng.uniform(17.25, 18.75) * HOUR, (20, 40))
    return back


def _meal(
    builder: DayBuilder, rng: np.random.Generator, at: float, cooking: tuple[float, float]
) -> None:
    if builder.cursor > at + HOUR:
        return  # out at mealtime: she ate out
    builder.fill_until(at)
    builder.add("kitchen", "cook", rng.uniform(*cooking) * MINUTE)
    builder.add("living_room", "eat", rng.uniform(20, 30) * MINUTE)


def _outing(
    builder: DayBuilder,
    habits: Habits,
    rng: np.random.Generator,
    leave: float,
    activities: tuple[str, ...],
    longest: float = LONGEST_OUTING,
) -> float:
    """Out from ``leave``; returns when she is back (after the day's end if after midnight)."""
    # Her longest outings: about 3 x her median (ordonez-a's longest is 2.6 x hers).
    length = min(outing_length(rng, habits.outing_median), longest, 3 * habits.outing_median)
    activity = "visit" if length > 2.5 * HOUR else str(rng.choice(activities))
    builder.fill_until(leave)
    start = builder.cursor
    builder.add("out", activity, length)
    return start + length


def _evening(
    builder: DayBuilder,
    habits: Habits,
    rng: np.random.Generator,
    bedtime: float,
    back: float,
    goes_out: bool,
) -> tuple[float, Carry]:
    """After dinner: maybe out again (a walk, square dancing, friends), then bed, possibly
    after midnight. Returns her bedtime (after this day's midnight) and the carry."""
    length = builder.length
    if back >= length:  # out since the afternoon, back after midnight
        activity = builder.visits[-1].activity
        bedtime = max(bedtime, back + rng.uniform(20, 45) * MINUTE)
        return bedtime, Carry("out", until=back - length, bedtime=bedtime - length,
                              activity=activity)  # fmt: skip
    if goes_out:
        leave = max(builder.cursor + rng.uniform(10, 30) * MINUTE, rng.uniform(18.75, 20.5) * HOUR)
        if leave < 21.5 * HOUR:
            activity = str(rng.choice(("walk", "dance", "visit")))
            back = _outing(builder, habits, rng, leave, (activity,), EVENING_OUTING)
            activity = builder.visits[-1].activity
            bedtime = max(bedtime, back + rng.uniform(20, 45) * MINUTE)
            if back >= length:
                return bedtime, Carry("out", until=back - length, bedtime=bedtime - length,
                                      activity=activity)  # fmt: skip
    wash = rng.uniform(10, 15) * MINUTE
    if bedtime < length:
        builder.fill_until(bedtime - wash, evening=True)
        builder.add_until("bathroom", "wash", bedtime)
        builder.add_until("bedroom", "sleep", length)
        return bedtime, Carry("asleep", since=builder.visits[-1].start - length)
    builder.fill_until(length, evening=True)
    return bedtime, Carry("up", bedtime=bedtime - length)


def _away(plan: DayPlan, profile: ResidentProfile, trip: Trip, rng: np.random.Generator) -> DayPlan:
    """The part of a day she spends away, laid over the day as planned."""
    start = trip.leave_at if plan.day == trip.leave_day else 0.0
    end = trip.back_at if plan.day == trip.back_day else plan.length
    visits = _away_visits(profile, start, end, plan.length)
    plan = plan.replace_span(start, end, visits)
    if plan.day == trip.back_day:
        # Home from the station: a wash and a sit-down before the day goes on.
        settle = Visit("bathroom", "toilet", end, end + rng.uniform(4, 8) * MINUTE)
        plan = plan.replace_span(settle.start, settle.end, [settle])
    visits = plan.visits
    return replace(
        plan,
        away=True,
        gestures=gestures(visits, (plan.bedtime, plan.asleep_at), rng),
        off_wrist=charging(profile, plan.day, visits, min(plan.bedtime, plan.length), rng),
    )


def _away_visits(profile: ResidentProfile, start: float, end: float, length: float) -> list[Visit]:
    """Away from ``start`` to ``end``: asleep there at her usual hours, awake otherwise."""
    if profile.bedtime_mean >= DAY:  # a night owl: up until after midnight
        asleep = [(profile.bedtime_mean - DAY, profile.wake_mean)]
    else:
        asleep = [(0.0, profile.wake_mean), (profile.bedtime_mean, length)]
    cuts = sorted({start, end, *(t for span in asleep for t in span if start < t < end)})
    visits = []
    for a, b in itertools.pairwise(cuts):
        sleeping = any(s <= a < e for s, e in asleep)
        visits.append(Visit("out", "away_sleep" if sleeping else "away", a, b))
    return visits
