"""Scripted incidents: what goes wrong on a given day, how it changes the day's plan, and
the ground truth a detector is judged against.

An incident is applied to a day's plan before any reading is made, so every sensor tells
the same story: a fall in the bathroom shows on the wearable, the radar and the doors.
Ground truth times are when the condition began and ended in the world (the impact, the
door opening, the first abnormal reading), not when a detector could first notice it.

Hints an IncidentPlan understands (all optional): ``time`` ("HH:MM" or seconds after
midnight), ``minutes`` (how long it lasts), ``place`` (fall: bathroom, living_room,
kitchen, bedroom), ``device`` (sos, device_offline: a device id), ``seconds`` (fall_recovered:
time on the floor).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from contracts.home import DeviceConfig, HomeConfig
from devices.catalog import definition, definitions_for

from .homes import HomeDevices
from .resident import HOUR, MINUTE, STREAM_SCHEDULE, ResidentProfile, clock, rng_for
from .routine import (
    DayPlan,
    DeviceEvent,
    Episode,
    Gesture,
    Outage,
    Visit,
    Visitor,
    charging_window,
)
from .vitals import hr_tick, vitals_tick

INCIDENT_KINDS: tuple[str, ...] = (
    "fall_recovered",
    "fall",
    "sos",
    "no_activity",
    "not_up",
    "night_wandering",
    "long_bathroom_stay",
    "not_returned_home",
    "tachycardia",
    "bradycardia",
    "low_spo2",
    "device_offline",
    "battery_low",
)

# The alert kind (ARCHITECTURE.md, "Alerts") a detector should raise for each incident.
EXPECTED_ALERT: dict[str, str] = {
    "fall_recovered": "fall",
    "fall": "fall",
    "sos": "sos",
    "no_activity": "no_activity",
    "not_up": "not_up",
    "night_wandering": "night_wandering",
    "long_bathroom_stay": "long_bathroom_stay",
    "not_returned_home": "not_returned_home",
    "tachycardia": "abnormal_heart_rate",
    "bradycardia": "abnormal_heart_rate",
    "low_spo2": "low_spo2",
    "device_offline": "device_offline",
    "battery_low": "battery_low",
    # Not scripted: sensors failing in ordinary life (simulators/sensor_faults.py).
    "sensor_stuck": "sensor_stuck",
    "sensor_silent": "device_offline",
}
# Ground truth that life itself makes, without a script.
LIFE_FAULT_KINDS: tuple[str, ...] = ("sensor_stuck", "sensor_silent")

_NEEDS_BRACELET = frozenset({"tachycardia", "bradycardia", "low_spo2", "battery_low"})
# Leaving the home is seen at its door: without a front-door sensor nothing shows it.
_NEEDS_FRONT_DOOR = frozenset({"night_wandering", "not_returned_home"})
# What she would be doing when a hint puts her in a room she was not planned to be in.
_ACTIVITY_IN = {"bathroom": "toilet", "kitchen": "cook", "living_room": "rest", "bedroom": "up"}
_AWAKE_AT_HOME = frozenset({"toilet", "wash", "cook", "chores", "eat", "tv", "rest"})
_DAYTIME_REST = frozenset({"tv", "rest"})


@dataclass(frozen=True)
class IncidentPlan:
    kind: str
    day: int
    hint: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @staticmethod
    def none() -> tuple[IncidentPlan, ...]:
        """No scripted incidents: pass as ``incidents`` for ordinary life only."""
        return ()

    def __post_init__(self) -> None:
        if self.kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown incident kind {self.kind!r}; known: {list(INCIDENT_KINDS)}")
        if self.day < 0:
            raise ValueError(f"incident day must be >= 0, got {self.day}")


@dataclass(frozen=True)
class GroundTruth:
    home: str
    kind: str
    expected_alert: str
    start: datetime
    end: datetime | None
    device: str | None
    details: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_json(self) -> str:
        return json.dumps(
            {
                "home": self.home,
                "kind": self.kind,
                "expected_alert": self.expected_alert,
                "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None,
                "device": self.device,
                "details": self.details,
            },
            ensure_ascii=False,
        )


def default_incidents(
    home: HomeConfig, days: int, seed: int, *, away: Collection[int] = ()
) -> list[IncidentPlan]:
    """About one incident every two or three days after two quiet days to learn from,
    cycling through every kind the home's devices can show before repeating one, never on
    a day she spends any of away from home (``away``)."""
    rng = rng_for(seed, home.home, STREAM_SCHEDULE)
    devices = HomeDevices.of(home)
    kinds = [
        k
        for k in INCIDENT_KINDS
        if (devices.bracelet or k not in _NEEDS_BRACELET)
        and (devices.front_door or k not in _NEEDS_FRONT_DOOR)
    ]
    pool: list[str] = []
    plans: list[IncidentPlan] = []
    day = 2 + int(rng.integers(0, 2))
    while day < math.ceil(days):
        if day in away:
            day += 1
            continue
        if not pool:
            pool = [str(k) for k in rng.permutation(kinds)]
        # A low battery needs a week without charging before it: not in the first week.
        choice = next((k for k in pool if k != "battery_low" or day >= 8), None)
        if choice is not None:
            pool.remove(choice)
            plans.append(IncidentPlan(choice, day))
        day += int(rng.integers(2, 4))
    return plans


@dataclass(frozen=True)
class Scene:
    """What an incident needs to know besides the plan: the home, the resident, the clock."""

    home: HomeConfig
    devices: HomeDevices
    profile: ResidentProfile
    midnight: float  # epoch seconds of this day's local midnight

    def at(self, t: float) -> datetime:
        # Millisecond precision, as the readings carry: truth and data line up exactly.
        return datetime.fromtimestamp(round(self.midnight + t, 3), ZoneInfo(self.home.timezone))

    def truth(
        self,
        kind: str,
        start: float,
        end: float | None,
        device: DeviceConfig | None,
        **details: Any,
    ) -> GroundTruth:
        return GroundTruth(
            home=self.home.home,
            kind=kind,
            expected_alert=EXPECTED_ALERT[kind],
            start=self.at(start),
            end=self.at(end) if end is not None else None,
            device=device.id if device else None,
            details=details,
        )


def apply_incident(
    plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator
) -> tuple[DayPlan, GroundTruth | None]:
    """The day as it goes with this incident, and its ground truth (None for battery_low,
    whose moment depends on the battery over several days: the simulation works it out)."""
    return _HANDLERS[incident.kind](plan, incident, scene, rng)


def heartbeat_s(device: DeviceConfig) -> int:
    if device.model:
        return definition(device.model).heartbeat_s
    source = "native" if device.source == "native" else "zigbee2mqtt"
    return min(d.heartbeat_s for d in definitions_for(device.kind, source))


# -- hints and choosing a moment ------------------------------------------------------------


def _hint_time(hint: dict[str, Any]) -> float | None:
    value = hint.get("time")
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    parts = [int(p) for p in str(value).split(":")]
    return parts[0] * HOUR + parts[1] * MINUTE + (parts[2] if len(parts) > 2 else 0)


def _minutes(hint: dict[str, Any], rng: np.random.Generator, low: float, high: float) -> float:
    return float(hint.get("minutes", rng.uniform(low, high))) * MINUTE


def _pick_visit(
    plan: DayPlan,
    rng: np.random.Generator,
    *,
    places: Collection[str] | None = None,
    activities: Collection[str] | None = None,
    earliest: float = 0.0,
    latest: float = math.inf,
    min_duration: float = 0.0,
) -> Visit | None:
    candidates = [
        v
        for v in plan.visits
        if (places is None or v.place in places)
        and (activities is None or v.activity in activities)
        and earliest <= v.start <= latest
        and v.duration >= min_duration
    ]
    return candidates[int(rng.integers(len(candidates)))] if candidates else None


def _asleep_stretch(
    plan: DayPlan, rng: np.random.Generator, lo: float, hi: float, span: float
) -> float:
    """A moment in [lo, hi] from which she sleeps for ``span`` seconds (no bathroom trip)."""
    for _ in range(30):
        t = float(rng.uniform(lo, max(lo, hi - span)))
        if all(v.activity == "sleep" for v in plan.visits if v.start < t + span and v.end > t):
            return t
    return lo


def _rest_stretch(
    plan: DayPlan, rng: np.random.Generator, span: float, hint: dict[str, Any]
) -> tuple[DayPlan, float]:
    """A moment from which she sits quietly for ``span`` seconds; made so if need be."""
    t = _hint_time(hint)
    if t is None:
        visit = _pick_visit(
            plan,
            rng,
            activities=_DAYTIME_REST,
            earliest=max(9 * HOUR, plan.wake + 30 * MINUTE),
            latest=20 * HOUR,
            min_duration=span + 10 * MINUTE,
        )
        if visit is not None:
            return plan, visit.start + float(
                rng.uniform(3 * MINUTE, visit.duration - span - 5 * MINUTE)
            )
        t = float(rng.uniform(14 * HOUR, 16 * HOUR))
    rest = Visit("living_room", "rest", t - 5 * MINUTE, t + span + 5 * MINUTE)
    return plan.replace_span(rest.start, rest.end, [rest]), t


def _add(plan: DayPlan, **parts: tuple[Any, ...]) -> DayPlan:
    """Append gestures, events, episodes... keeping each kind in time order."""
    changes = {
        name: tuple(sorted((*getattr(plan, name), *items), key=_when))
        for name, items in parts.items()
    }
    return replace(plan, **changes)


def _when(item: Any) -> float:
    for attribute in ("t", "start", "arrive"):
        if hasattr(item, attribute):
            return float(getattr(item, attribute))
    return 0.0


def _rescue(plan: DayPlan, rng: np.random.Generator, arrive: float) -> DayPlan:
    """Someone with a key lets themselves in, stays a while, and leaves."""
    leave = min(arrive + float(rng.uniform(40, 120)) * MINUTE, plan.length - 5 * MINUTE)
    return _add(plan, visitors=(Visitor(arrive, leave),))


# -- the incidents --------------------------------------------------------------------------


def _fall(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    recovered = incident.kind == "fall_recovered"
    on_floor = float(incident.hint.get("seconds", rng.uniform(20, 90))) if recovered else 0.0
    plan, t = _fall_moment(plan, incident, on_floor, rng)
    place = plan.visit_at(t).place
    before = "walk" if rng.random() < 0.7 else "stand"
    fall = _Fall(t, place, before, scene, plan)
    if recovered:
        return _gets_up(plan, fall, on_floor, incident, scene, rng)
    return _stays_down(plan, fall, incident, scene, rng)


@dataclass(frozen=True)
class _Fall:
    """Where and when she falls, and which devices witness it."""

    t: float
    place: str
    before: str
    scene: Scene
    plan: DayPlan

    @property
    def radar(self) -> DeviceConfig | None:
        return self.scene.devices.radar if self.place == "bathroom" else None

    @property
    def pendant(self) -> DeviceConfig | None:
        """The pendant, if she has it on at the moment of the fall."""
        pendant, worn = self.scene.devices.pendant, self.plan.pendant_worn
        return pendant if pendant is not None and worn and worn[0] <= self.t < worn[1] else None

    @property
    def device(self) -> DeviceConfig | None:
        return self.scene.devices.bracelet or self.scene.devices.pendant

    def seen_by(self) -> list[str]:
        # The band is always on (quiet() takes it off the charger for the fall).
        witnesses = (self.scene.devices.bracelet, self.pendant, self.radar)
        return [d.id for d in witnesses if d is not None]


def _fall_moment(
    plan: DayPlan, incident: IncidentPlan, on_floor: float, rng: np.random.Generator
) -> tuple[DayPlan, float]:
    """When she falls: the hinted time and place, or a moment awake at home."""
    wanted = incident.hint.get("place")
    if wanted is not None and wanted not in _ACTIVITY_IN:
        raise ValueError(f"fall place must be one of {sorted(_ACTIVITY_IN)}, got {wanted!r}")
    t = _hint_time(incident.hint)
    if t is not None:
        if wanted is not None and plan.visit_at(t).place != wanted:
            # Told when and where: she goes there just before, whatever the plan said.
            there = Visit(wanted, _ACTIVITY_IN[wanted], t - 2 * MINUTE, t + on_floor + 3 * MINUTE)
            plan = plan.replace_span(there.start, there.end, [there])
        return plan, t
    place = wanted or str(
        rng.choice(["bathroom", "living_room", "kitchen", "bedroom"], p=[0.45, 0.3, 0.15, 0.1])
    )
    awake = dict(
        earliest=plan.wake + 30 * MINUTE,
        latest=min(plan.bedtime, plan.length) - 45 * MINUTE,
        min_duration=3 * MINUTE,
    )
    visit = _pick_visit(plan, rng, places={place}, **awake) or _pick_visit(
        plan, rng, activities=_AWAKE_AT_HOME, **awake
    )
    assert visit is not None, "a day without a trip always has time awake at home"
    return plan, visit.start + float(rng.uniform(20, min(120, visit.duration / 2)))


def _gets_up(
    plan: DayPlan,
    fall: _Fall,
    on_floor: float,
    incident: IncidentPlan,
    scene: Scene,
    rng: np.random.Generator,
):
    t, radar, pendant = fall.t, fall.radar, fall.pendant
    plan = plan.quiet(t - 60, t + on_floor + 60)
    plan = _add(plan, gestures=(Gesture("fall_recovered", t, fall.before, on_floor),))  # type: ignore[arg-type]
    events: list[DeviceEvent] = []
    if radar:
        events.append(DeviceEvent(t + rng.uniform(3, 8), radar.id, "fall_state", "suspected"))
        if on_floor > 28:
            events.append(DeviceEvent(t + rng.uniform(20, 26), radar.id, "fall_state", "fall"))
        events.append(
            DeviceEvent(t + on_floor + rng.uniform(3, 10), radar.id, "fall_state", "none")
        )
    if pendant and rng.random() < 0.9:
        events.append(DeviceEvent(t + rng.uniform(1, 3), pendant.id, "fall_state", "fall"))
        events.append(
            DeviceEvent(t + on_floor + rng.uniform(2, 5), pendant.id, "fall_state", "none")
        )
    plan = _add(plan, events=tuple(events))
    return plan, scene.truth(
        incident.kind,
        t,
        t + on_floor,
        fall.device,
        place=fall.place,
        seconds_on_floor=round(on_floor, 1),
        seen_by=fall.seen_by(),
    )


def _stays_down(
    plan: DayPlan, fall: _Fall, incident: IncidentPlan, scene: Scene, rng: np.random.Generator
):
    """She cannot get up: nothing moves until someone comes, hours later."""
    t, radar, pendant = fall.t, fall.radar, fall.pendant
    rescue = max(
        t + 30 * MINUTE, min(t + _minutes(incident.hint, rng, 90, 240), plan.length - 40 * MINUTE)
    )
    helped_up = rescue + float(rng.uniform(2, 5)) * MINUTE
    sofa = helped_up + float(rng.uniform(30, 60)) * MINUTE
    plan = plan.replace_span(
        t,
        sofa,
        [Visit(fall.place, "down", t, helped_up), Visit("living_room", "rest", helped_up, sofa)],  # type: ignore[arg-type]
    )
    plan = plan.quiet(t - 60, sofa)
    plan = _add(plan, gestures=(Gesture("fall", t, fall.before, None),))  # type: ignore[arg-type]
    events: list[DeviceEvent] = []
    if radar:
        events.append(DeviceEvent(t + rng.uniform(3, 8), radar.id, "fall_state", "suspected"))
        events.append(DeviceEvent(t + rng.uniform(20, 40), radar.id, "fall_state", "fall"))
        events.append(DeviceEvent(helped_up - rng.uniform(20, 60), radar.id, "fall_state", "none"))
    if pendant and rng.random() < 0.9:
        events.append(DeviceEvent(t + rng.uniform(1, 3), pendant.id, "fall_state", "fall"))
        events.append(DeviceEvent(helped_up, pendant.id, "fall_state", "none"))
    plan = _add(plan, events=tuple(events))
    plan = _rescue(plan, rng, rescue)
    return plan, scene.truth(
        incident.kind,
        t,
        rescue,
        fall.device,
        place=fall.place,
        minutes_on_floor=round((rescue - t) / MINUTE, 1),
        seen_by=fall.seen_by(),
    )


def _sos(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    devices = scene.devices
    t = _hint_time(incident.hint)
    chosen = scene.home.device(incident.hint["device"]) if "device" in incident.hint else None
    if t is None:
        at_night = devices.sos_button is not None and (
            (chosen is not None and chosen.kind == "sos_button")
            or (chosen is None and rng.random() < 0.5)
        )
        if at_night:
            lo = max(0.5 * HOUR, plan.asleep_at + 0.5 * HOUR)
            t = _asleep_stretch(plan, rng, lo, plan.wake - 0.5 * HOUR, 10 * MINUTE) + 2 * MINUTE
        else:
            visit = _pick_visit(
                plan,
                rng,
                activities=_AWAKE_AT_HOME,
                earliest=plan.wake + HOUR,
                latest=plan.bedtime - HOUR,
                min_duration=4 * MINUTE,
            )
            t = (visit.start + visit.duration / 2) if visit else 15 * HOUR
    place = plan.visit_at(t)
    if chosen is None:
        in_bed = place.place == "bedroom" and devices.sos_button is not None
        chosen = devices.sos_button if in_bed or devices.bracelet is None else devices.bracelet
    if chosen is None:
        return plan, None
    presses = [t]
    if rng.random() < 0.4:
        presses.append(t + float(rng.uniform(15, 60)))  # nobody answered yet: she presses again
    plan = _add(plan, events=tuple(DeviceEvent(p, chosen.id, "sos", True) for p in presses))
    arrive = t + float(rng.uniform(20, 60)) * MINUTE
    if place.activity == "sleep":
        # Woken by pain or breathlessness: lies awake until help arrives.
        plan = plan.replace_span(
            t - 2 * MINUTE,
            arrive + 15 * MINUTE,
            [Visit("bedroom", "in_bed", t - 2 * MINUTE, arrive + 15 * MINUTE)],
        )
    plan = _rescue(plan, rng, arrive)
    return plan, scene.truth(
        incident.kind, t, None, chosen, presses=len(presses), place=place.place
    )


def _no_activity(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    t = _hint_time(incident.hint)
    if t is None:
        visit = _pick_visit(
            plan,
            rng,
            places={"living_room"},
            activities=_DAYTIME_REST,
            earliest=max(9 * HOUR, plan.wake + HOUR),
            latest=17 * HOUR,
            min_duration=10 * MINUTE,
        )
        t = (
            visit.start + float(rng.uniform(60, min(600, visit.duration - 60)))
            if visit
            else 15 * HOUR
        )
    rescue = max(
        t + HOUR, min(t + _minutes(incident.hint, rng, 180, 360), plan.length - 45 * MINUTE)
    )
    helped = rescue + float(rng.uniform(3, 8)) * MINUTE
    sofa = helped + float(rng.uniform(30, 60)) * MINUTE
    plan = plan.replace_span(
        t,
        sofa,
        [Visit("living_room", "collapsed", t, helped), Visit("living_room", "rest", helped, sofa)],
    )
    plan = plan.quiet(t - 60, sofa)
    plan = _add(plan, gestures=(Gesture("sit_hard", t, "stand"),))  # slumping onto the sofa
    plan = _rescue(plan, rng, rescue)
    return plan, scene.truth(
        incident.kind, t, rescue, None, place="living_room", hours=round((rescue - t) / HOUR, 2)
    )


def _not_up(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    wake = plan.wake
    # Hours past the time she gets up: for a messy resident, whose days vary by most of an
    # hour, past both today's time and her usual one, so that it is late for her.
    habits = scene.profile.habits
    late_from = max(wake, scene.profile.wake_mean) if habits else wake
    late = _minutes(incident.hint, rng, 120, 180)
    if habits is not None and "minutes" not in incident.hint:
        # Later than any ordinary morning of hers: her mornings spread by wake_sd, and a
        # lie-in within three or so of those is her life, not an incident (seed 3 scripted
        # one 2 h past a resident whose mornings spread by 43 min).
        late = max(late, 4 * habits.wake_sd)
    up = late_from + late
    washed = up + float(rng.uniform(8, 14)) * MINUTE
    breakfast = washed + float(rng.uniform(10, 20)) * MINUTE
    plan = plan.replace_span(
        wake,
        breakfast,
        [
            Visit("bedroom", "in_bed", wake, up),
            Visit("bathroom", "wash", up, washed),
            Visit("kitchen", "cook", washed, breakfast),
        ],
    )
    plan = plan.quiet(wake, breakfast)
    if plan.pendant_worn:
        plan = replace(
            plan, pendant_worn=(max(plan.pendant_worn[0], breakfast), plan.pendant_worn[1])
        )
    return plan, scene.truth(
        incident.kind,
        wake,
        up,
        None,
        usual_wake=scene.profile.usual_wake,
        planned_wake=clock(wake),
        got_up=clock(up),
    )


def _night_wandering(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    t = _hint_time(incident.hint)
    if t is None:
        # Some time after she went to sleep: a night owl wanders later in the night.
        lo = max(1 * HOUR, plan.asleep_at + 0.75 * HOUR)
        t = float(rng.uniform(lo, max(lo, min(lo + 3 * HOUR, plan.wake - 2 * HOUR))))
    away = _minutes(incident.hint, rng, 35, 120)
    back_by = plan.wake - 15 * MINUTE
    if t + away > back_by:
        away = max(35 * MINUTE, back_by - t)
        t = min(t, back_by - away)
    back = t + away
    settled = back + float(rng.uniform(5, 15)) * MINUTE
    plan = plan.replace_span(
        t - 3 * MINUTE,
        settled,
        [
            Visit("bedroom", "up", t - 3 * MINUTE, t),
            Visit("out", "wander", t, back),
            Visit("living_room", "rest", back, settled),
        ],
    )
    plan = plan.quiet(t - 5 * MINUTE, settled)
    return plan, scene.truth(
        incident.kind, t, back, scene.devices.front_door, minutes_away=round(away / MINUTE, 1)
    )


def _long_bathroom_stay(
    plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator
):
    t = _hint_time(incident.hint)
    if t is None:
        visit = _pick_visit(
            plan,
            rng,
            places={"bathroom"},
            activities={"toilet", "wash"},
            earliest=max(8 * HOUR, plan.wake),
            latest=20 * HOUR,
        )
        t = visit.start if visit else float(rng.uniform(10 * HOUR, 16 * HOUR))
    stay = _minutes(incident.hint, rng, 60, 120)
    plan = plan.replace_span(t, t + stay, [Visit("bathroom", "long_stay", t, t + stay)])
    plan = plan.quiet(t, t + stay)
    # If the plan had her in the bathroom right after, the stay runs on: truth is the whole stay.
    end = t + stay
    for visit in plan.visits:
        if visit.start == end and visit.place == "bathroom":
            end = visit.end
    return plan, scene.truth(
        incident.kind, t, end, scene.devices.radar, minutes=round((end - t) / MINUTE, 1)
    )


def _not_returned_home(
    plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator
):
    t = _hint_time(incident.hint)
    if t is None:
        up = plan.wake + 30 * MINUTE
        outing = _pick_visit(
            plan, rng, places={"out"}, earliest=max(8 * HOUR, up), latest=16 * HOUR
        )
        lo = max(9 * HOUR, up)
        t = outing.start if outing else float(rng.uniform(lo, max(lo, 14 * HOUR)))
    habits = scene.profile.habits
    if habits is None or "minutes" in incident.hint:
        back = min(t + _minutes(incident.hint, rng, 390, 540), 22.5 * HOUR)
        if back - t < 6.2 * HOUR:
            t = back - float(rng.uniform(6.2, 7.0)) * HOUR
    else:
        # Out twice as long as her own longest outings (about 3 x her median, life.py), so
        # that it is unusual for her; as long as the day allows, from soon after she got up.
        longest = 3 * habits.outing_median
        away = max(6.2 * HOUR, float(rng.uniform(2.0, 2.5)) * longest)
        back = min(t + away, 23.5 * HOUR)
        t = max(plan.wake + 30 * MINUTE, min(t, back - away))
    settled = back + float(rng.uniform(20, 40)) * MINUTE
    plan = plan.replace_span(
        t, settled, [Visit("out", "lost", t, back), Visit("living_room", "rest", back, settled)]
    )
    plan = plan.quiet(t, settled)
    return plan, scene.truth(
        incident.kind, t, back, scene.devices.front_door, hours_out=round((back - t) / HOUR, 2)
    )


def _heart_episode(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    low, high = (130.0, 150.0) if incident.kind == "tachycardia" else (35.0, 42.0)
    span = _minutes(incident.hint, rng, 20, 40)
    plan, t = _rest_stretch(plan, rng, span, incident.hint)
    start = hr_tick(scene.profile, t)
    end = start + round(span / MINUTE) * MINUTE  # the first reading back to normal
    plan = plan.quiet(start - 5 * MINUTE, end + 5 * MINUTE)
    plan = _add(plan, episodes=(Episode("heart_rate", start, end, low, high),))
    return plan, scene.truth(
        incident.kind,
        start,
        end,
        scene.devices.bracelet,
        bpm=[low, high],
        minutes=round((end - start) / MINUTE),
    )


def _low_spo2(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    readings = max(4, math.ceil(_minutes(incident.hint, rng, 40, 70) / (10 * MINUTE)))
    span = readings * 10 * MINUTE
    if _hint_time(incident.hint) is None and rng.random() < 0.5:
        lo = max(1 * HOUR, plan.asleep_at + 1 * HOUR)
        t = _asleep_stretch(plan, rng, lo, plan.wake - 1 * HOUR, span + 20 * MINUTE)
    else:
        plan, t = _rest_stretch(plan, rng, span + 10 * MINUTE, incident.hint)
    start = vitals_tick(scene.profile, t)
    end = start + span
    plan = plan.quiet(start - 10 * MINUTE, end + 10 * MINUTE)
    plan = _add(plan, episodes=(Episode("spo2", start, end, 85.0, 89.0),))
    return plan, scene.truth(
        incident.kind, start, end, scene.devices.bracelet, spo2=[85, 89], readings=readings
    )


def _device_offline(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    devices = scene.devices
    if "device" in incident.hint:
        device = scene.home.device(incident.hint["device"])
    else:
        options = [
            d for d in (devices.front_door, devices.bracelet, devices.motion, devices.radar) if d
        ]
        weights = np.array([0.35, 0.3, 0.2, 0.15][: len(options)])
        device = (
            options[int(rng.choice(len(options), p=weights / weights.sum()))] if options else None
        )
    if device is None:
        return plan, None
    t = _hint_time(incident.hint)
    if t is None:
        t = float(rng.uniform(8 * HOUR, 15 * HOUR))
    end = min(t + _minutes(incident.hint, rng, 180, 480), plan.length - 1)
    plan = _add(plan, outages=(Outage(device.id, t, end),))
    return plan, scene.truth(
        incident.kind,
        t,
        end,
        device,
        model=device.model,
        heartbeat_s=heartbeat_s(device),
        hours=round((end - t) / HOUR, 2),
    )


def _battery_low(plan: DayPlan, incident: IncidentPlan, scene: Scene, rng: np.random.Generator):
    low_at = _hint_time(incident.hint)
    if low_at is None:
        low_at = float(rng.uniform(9 * HOUR, 14 * HOUR))
    # She notices (or is told) in the evening and finally puts it on the charger.
    window = charging_window(
        plan.visits,
        max(19 * HOUR, low_at + 4 * HOUR),
        plan.bedtime - 10 * MINUTE,
        float(rng.uniform(60, 90)),
    )
    plan = replace(plan, battery_low_at=low_at, off_wrist=(window,) if window else ())
    return plan, None


_HANDLERS = {
    "fall_recovered": _fall,
    "fall": _fall,
    "sos": _sos,
    "no_activity": _no_activity,
    "not_up": _not_up,
    "night_wandering": _night_wandering,
    "long_bathroom_stay": _long_bathroom_stay,
    "not_returned_home": _not_returned_home,
    "tachycardia": _heart_episode,
    "bradycardia": _heart_episode,
    "low_spo2": _low_spo2,
    "device_offline": _device_offline,
    "battery_low": _battery_low,
}
