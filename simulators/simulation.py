"""A simulated home over days: the resident's plan for each day, incidents applied, and
every device's canonical readings in event time.

The plans (small) are made up front, so the ground truth is known at once; readings are
generated a day at a time when asked for, so a month of a home never sits in memory and
calling ``readings()`` twice yields the same sequence.

This module also plays the home's fixed sensors (door contacts, the PIR, the bathroom radar,
the SOS button and the Zigbee devices' periodic reports); the wearables are in vitals.py and
motion.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np

from contracts.home import DeviceConfig, HomeConfig
from contracts.reading import Reading

from .homes import HomeDevices
from .incidents import (
    EXPECTED_ALERT,
    GroundTruth,
    IncidentPlan,
    Scene,
    apply_incident,
    default_incidents,
)
from .motion import WAIST_RATE_HZ, Placement, accel_window
from .resident import (
    DAY,
    HOUR,
    MINUTE,
    STREAM_DEVICE,
    STREAM_INCIDENT,
    STREAM_RENDER,
    STREAM_ROUTINE,
    ResidentProfile,
    make_resident,
    rng_for,
)
from .routine import DayPlan, charging_window, plan_day
from .vitals import (
    BATTERY_LOW,
    BatteryTrack,
    battery_ticks,
    battery_track,
    bracelet_readings,
    pendant_readings,
)

# (epoch seconds, device, metric, value, rate_hz or None)
Raw = tuple[float, str, str, object, float | None]

_LIVING_AREA = frozenset({"living_room", "kitchen"})
# PIR triggers per minute while she is in the living room or the open kitchen.
_PIR_RATE = {"cook": 1.5, "chores": 1.5, "eat": 0.4, "tv": 0.12, "rest": 0.15, "nap": 0.02}
_STILL = frozenset({"collapsed", "down"})
_PIR_BLIND_S = 60.0  # RTCGQ11LM ignores motion for a minute after each detection
_PIR_CLEAR_S = 90.0  # Zigbee2MQTT's occupancy_timeout: no detection for this long -> false
_RADAR_HOLD_S = (10.0, 40.0)  # a radar keeps saying "present" a little after she leaves


@dataclass
class Simulation:
    home: HomeConfig
    truth: tuple[GroundTruth, ...]
    start: datetime
    days: float
    seed: int
    profile: ResidentProfile = field(repr=False)
    plans: tuple[DayPlan, ...] = field(repr=False)
    midnights: tuple[float, ...] = field(repr=False)  # epoch s, one more than plans
    battery: BatteryTrack | None = field(default=None, repr=False)

    def readings(self) -> Iterator[Reading]:
        """The whole run in event time; a fresh, identical sequence on every call."""
        tz = ZoneInfo(self.home.timezone)
        first, last = self.start.timestamp(), self.start.timestamp() + self.days * DAY
        outages = [
            (o.device, o.start + self.midnights[p.day], o.end + self.midnights[p.day])
            for p in self.plans
            for o in p.outages
        ]
        pending: list[Raw] = []
        for plan in self.plans:
            day = pending + self._day(plan)
            day.sort(key=lambda raw: raw[0])  # stable: ties keep their generation order
            cut = self.midnights[plan.day + 1]
            pending = [raw for raw in day if raw[0] >= cut]
            for raw in day:
                if raw[0] >= cut:
                    break
                if first <= raw[0] < last and not _silenced(raw, outages):
                    yield _reading(raw, self.home.home, tz)
        for raw in pending:
            if first <= raw[0] < last and not _silenced(raw, outages):
                yield _reading(raw, self.home.home, tz)

    def _day(self, plan: DayPlan) -> list[Raw]:
        midnight = self.midnights[plan.day]
        devices = HomeDevices.of(self.home)

        def rng(part: int, *more: int) -> np.random.Generator:
            return rng_for(self.seed, self.home.home, STREAM_RENDER, plan.day, part, *more)

        out: list[Raw] = []

        def add(device: DeviceConfig | None, items: Sequence[tuple[float, str, object]]) -> None:
            if device is not None:
                out.extend((round(midnight + t, 3), device.id, m, v, None) for t, m, v in items)

        if devices.bracelet and self.battery is not None:
            add(
                devices.bracelet,
                bracelet_readings(
                    plan, self.profile, self.battery, midnight, rng(1), first_day=plan.day == 0
                ),
            )
        if devices.pendant:
            add(devices.pendant, pendant_readings(plan, self.profile, rng(2)))
        add(devices.motion, _pir(plan, rng(3)))
        front, bathroom, fridge = _doors(plan, rng(4))
        add(devices.front_door, front)
        add(devices.bathroom_door, bathroom)
        add(devices.fridge, fridge)
        add(devices.radar, _radar(plan, devices.radar, rng(5)))
        for index, device in enumerate(self.home.devices):
            add(device, _zigbee_reports(self, device, index, plan, midnight))
        for event in plan.events:
            if self.home.device(event.device) is not None:
                out.append(
                    (round(midnight + event.t, 3), event.device, event.metric, event.value, None)
                )
        out.extend(self._accel(plan, devices, midnight, rng))
        return out

    def _accel(
        self,
        plan: DayPlan,
        devices: HomeDevices,
        midnight: float,
        rng: Callable[..., np.random.Generator],
    ) -> list[Raw]:
        """One upload per wearable she has on at the moment of each gesture."""
        out: list[Raw] = []
        for index, gesture in enumerate(plan.gestures):
            wearers: list[tuple[DeviceConfig, Placement, float]] = []
            band_on = not any(a <= gesture.t < b for a, b in plan.off_wrist)
            if devices.bracelet and band_on:
                wearers.append((devices.bracelet, "wrist", self.profile.bracelet_rate_hz))
            pendant_on = (
                plan.pendant_worn is not None
                and plan.pendant_worn[0] <= gesture.t < plan.pendant_worn[1]
            )
            if devices.pendant and pendant_on:
                wearers.append((devices.pendant, "waist", WAIST_RATE_HZ))
            for part, (device, placement, rate) in enumerate(wearers):
                window = accel_window(
                    gesture, placement, rate, self.profile, rng(100 + index, part)
                )
                if window is None:
                    continue
                for t, samples in window.batches():
                    out.append((round(midnight + t, 3), device.id, "accel", samples, rate))
        return out


def simulate_home(
    home: HomeConfig,
    *,
    start: datetime,
    days: float,
    seed: int,
    incidents: Sequence[IncidentPlan] | None = None,
) -> Simulation:
    """Plan ``days`` of life in ``home`` from ``start`` (tz-aware, local midnight of day 0).

    ``incidents`` None: a default schedule (default_incidents); []: ordinary life only.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    tz = ZoneInfo(home.timezone)
    count = math.ceil(days)
    first_date = start.astimezone(tz).date()
    midnights = tuple(
        datetime.combine(first_date + timedelta(days=k), time(0), tz).timestamp()
        for k in range(count + 1)
    )
    profile = make_resident(home, seed)
    devices = HomeDevices.of(home)
    plans = [
        plan_day(
            profile,
            k,
            rng_for(seed, home.home, STREAM_ROUTINE, k),
            length=midnights[k + 1] - midnights[k],
        )
        for k in range(count)
    ]
    schedule = default_incidents(home, count, seed) if incidents is None else list(incidents)
    truth: list[GroundTruth] = []
    for index, incident in enumerate(schedule):
        if incident.day >= count:
            raise ValueError(
                f"incident {incident.kind} on day {incident.day} is outside a {days}-day run"
            )
        scene = Scene(home, devices, profile, midnights[incident.day])
        rng = rng_for(seed, home.home, STREAM_INCIDENT, incident.day, index)
        plans[incident.day], found = apply_incident(plans[incident.day], incident, scene, rng)
        if found is not None:
            truth.append(found)

    battery = None
    if devices.bracelet is not None:
        plans = _stop_charging_before_low_battery(plans, profile, midnights)
        battery = battery_track(
            [(midnights[p.day] + a, midnights[p.day] + b) for p in plans for a, b in p.off_wrist],
            [midnights[p.day] + p.battery_low_at for p in plans if p.battery_low_at is not None],
            start=midnights[0],
            end=midnights[-1],
            initial=float(rng_for(seed, home.home, STREAM_DEVICE, 0).uniform(75, 100)),
            drain_per_day=profile.bracelet_drain,
        )
        truth.extend(_battery_low_truth(home, devices.bracelet, plans, profile, midnights, battery))

    first, last = start.timestamp(), start.timestamp() + days * DAY
    kept = tuple(
        sorted((t for t in truth if first <= t.start.timestamp() < last), key=lambda t: t.start)
    )
    return Simulation(
        home=home,
        truth=kept,
        start=start,
        days=days,
        seed=seed,
        profile=profile,
        plans=tuple(plans),
        midnights=midnights,
        battery=battery,
    )


def _stop_charging_before_low_battery(
    plans: list[DayPlan], profile: ResidentProfile, midnights: Sequence[float]
) -> list[DayPlan]:
    """For a battery_low day, she stops charging about as many days before as a full battery
    lasts; the battery track then drains it to cross 15 % at the planned moment."""
    plans = list(plans)
    for plan in list(plans):
        if plan.battery_low_at is None:
            continue
        when = plan.day + plan.battery_low_at / DAY
        last_charge_day = round(when - 0.7 - (100 - BATTERY_LOW) / profile.bracelet_drain)
        for k in range(max(0, last_charge_day + 1), plan.day):
            plans[k] = replace(plans[k], off_wrist=())
        if last_charge_day >= 0 and not plans[last_charge_day].off_wrist:
            # The last time she charges it before forgetting: make sure there is one.
            last = plans[last_charge_day]
            window = charging_window(last.visits, 14 * HOUR, last.bedtime - 20 * MINUTE, 90)
            plans[last_charge_day] = replace(last, off_wrist=(window,) if window else ())
    return plans


def _battery_low_truth(
    home: HomeConfig,
    bracelet: DeviceConfig,
    plans: Sequence[DayPlan],
    profile: ResidentProfile,
    midnights: Sequence[float],
    battery: BatteryTrack,
) -> list[GroundTruth]:
    """From the first report below 15 % to the first one back at 15 % or more."""
    ticks = np.round(
        np.concatenate([midnights[p.day] + battery_ticks(p, profile) for p in plans]), 3
    )
    low = battery.reported(ticks) < BATTERY_LOW
    tz = ZoneInfo(home.timezone)
    found = []
    for plan in plans:
        if plan.battery_low_at is None:
            continue
        after = ticks >= midnights[plan.day] + plan.battery_low_at - 6 * HOUR
        starts = np.flatnonzero(after & low)
        if not len(starts):
            continue
        begin = starts[0]
        ends = np.flatnonzero(~low[begin:])
        end = ticks[begin + ends[0]] if len(ends) else None
        found.append(
            GroundTruth(
                home=home.home,
                kind="battery_low",
                expected_alert=EXPECTED_ALERT["battery_low"],
                start=datetime.fromtimestamp(float(ticks[begin]), tz),
                end=datetime.fromtimestamp(float(end), tz) if end is not None else None,
                device=bracelet.id,
                details={"level": float(battery.reported(ticks[begin])), "threshold": BATTERY_LOW},
            )
        )
    return found


def _reading(raw: Raw, home: str, tz: ZoneInfo) -> Reading:
    t, device, metric, value, rate = raw
    ts = datetime.fromtimestamp(t, tz)
    if rate is not None:
        # Accel batches are most of the volume and valid by construction (finite, clipped to
        # the sensor's +-16 g by motion.py): build them in the canonical form the validator
        # would produce, rather than re-checking fifty samples a message one float at a time.
        return Reading.model_construct(
            ts=ts, home=home, device=device, metric=metric, value=value, rate_hz=rate
        )
    return Reading(ts=ts, home=home, device=device, metric=metric, value=value)


def _silenced(raw: Raw, outages: Sequence[tuple[str, float, float]]) -> bool:
    return any(device == raw[1] and start <= raw[0] < end for device, start, end in outages)


# -- the home's fixed sensors ----------------------------------------------------------------

Item = tuple[float, str, object]  # seconds after midnight, metric, value


def _pir(plan: DayPlan, rng: np.random.Generator) -> list[Item]:
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


def _doors(plan: DayPlan, rng: np.random.Generator) -> tuple[list[Item], list[Item], list[Item]]:
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


def _radar(plan: DayPlan, radar: DeviceConfig | None, rng: np.random.Generator) -> list[Item]:
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


def _zigbee_reports(
    sim: Simulation, device: DeviceConfig, index: int, plan: DayPlan, midnight: float
) -> list[Item]:
    """Battery-powered Zigbee devices check in well within their catalog heartbeat, with a
    battery level that creeps down over the weeks."""
    if device.source == "native" or device.kind == "fall_radar":
        return []  # radars are mains powered and chatty; wearables report for themselves
    keyed = rng_for(sim.seed, sim.home.home, STREAM_DEVICE, index + 1)
    initial = keyed.uniform(55, 100)
    drain = keyed.uniform(0.05, 0.3)  # % per day
    every = 3 * HOUR if device.kind == "sos_button" else 55 * MINUTE
    phase = keyed.uniform(0, every)
    rng = rng_for(sim.seed, sim.home.home, STREAM_RENDER, plan.day, 50, index)
    since_start = midnight - sim.midnights[0]
    first = math.ceil((since_start - phase) / every)
    out: list[Item] = []
    k = first
    while (base := phase + k * every - since_start) < plan.length:
        t = max(0.5, base + rng.uniform(-3, 3) * MINUTE)
        level = initial - drain * (midnight + t - sim.midnights[0]) / DAY
        out.append((t, "battery", float(max(1, math.floor(level)))))
        k += 1
    return out
