"""A simulated home over days: the resident's plan for each day, incidents applied, and
every device's canonical readings in event time.

The plans (small) are made up front, so the ground truth is known at once; readings are
generated a day at a time when asked for, so a month of a home never sits in memory and
calling ``readings()`` twice yields the same sequence.

The sensors are played by fixed_sensors.py (doors, PIR, radar), occupancy.py (mats, bed
sensor, presence sensors, plugs), vitals.py and motion.py (the wearables); this module adds
the Zigbee devices' battery reports and, for a messy home, its sensors' faults
(sensor_faults.py).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from contracts.home import DeviceConfig, HomeConfig
from contracts.reading import Reading
from devices.catalog import definition

from .days import plan_days
from .fixed_sensors import door_readings, pir_readings, radar_readings
from .homes import HomeDevices
from .incidents import (
    EXPECTED_ALERT,
    GroundTruth,
    IncidentPlan,
    Scene,
    apply_incident,
    default_incidents,
)
from .life import MAT_PULSES_PER_HOUR, TIDY_HARDWARE, Hardware, draw_hardware
from .motion import WAIST_RATE_HZ, Placement, accel_window
from .occupancy import (
    appliance_readings,
    bed_sensor_readings,
    in_bed,
    in_chair,
    mat_readings,
    room_presence_readings,
)
from .resident import (
    DAY,
    HOUR,
    MINUTE,
    STREAM_DEVICE,
    STREAM_INCIDENT,
    STREAM_RENDER,
    ResidentProfile,
    make_resident,
    rng_for,
)
from .routine import DayPlan, Visit, charging_window
from .sensor_faults import FaultyDevices, SensorFault, draw_faults
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
Item = tuple[float, str, object]  # seconds after midnight, metric, value
STREAM_HARDWARE = 10


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
    hardware: Hardware = field(default=TIDY_HARDWARE, repr=False)
    faults: tuple[SensorFault, ...] = field(default=(), repr=False)
    # Her days away (at her children's), as epoch s (left, back): those within the run.
    trips: tuple[tuple[float, float], ...] = field(default=(), repr=False)

    def day_of(self, epoch: float) -> int:
        """The day of the run ``epoch`` falls on (0: the first)."""
        return max(0, bisect.bisect_right(self.midnights, epoch) - 1)

    def readings(self) -> Iterator[Reading]:
        """The whole run in event time; a fresh, identical sequence on every call."""
        tz = ZoneInfo(self.home.timezone)
        first, last = self.start.timestamp(), self.start.timestamp() + self.days * DAY
        outages = [
            (o.device, o.start + self.midnights[p.day], o.end + self.midnights[p.day])
            for p in self.plans
            for o in p.outages
        ]
        mains = {d.id for d in self.home.devices if d.zigbee_name and not _has_battery(d)}
        faulty = FaultyDevices(self.faults, reporting=mains)

        def sent(raw: Raw) -> Raw | None:
            if not first <= raw[0] < last or _silenced(raw, outages):
                return None
            sends, value = faulty.said(raw[0], raw[1], raw[2], raw[3])
            return (raw[0], raw[1], raw[2], value, raw[4]) if sends else None

        pending: list[Raw] = []
        for plan in self.plans:
            cut = self.midnights[plan.day + 1]
            stuck = [(*onset, None) for onset in faulty.onsets(self.midnights[plan.day], cut)]
            day = pending + self._day(plan) + stuck  # type: ignore[operator]
            day.sort(key=lambda raw: raw[0])  # stable: ties keep their generation order
            pending = [raw for raw in day if raw[0] >= cut]
            for raw in day:
                if raw[0] >= cut:
                    break
                if (kept := sent(raw)) is not None:
                    yield _reading(kept, self.home.home, tz)
        for raw in pending:
            if (kept := sent(raw)) is not None:
                yield _reading(kept, self.home.home, tz)

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
        add(devices.motion, pir_readings(plan, rng(3)))
        front, bathroom, fridge = door_readings(plan, rng(4))
        add(devices.front_door, front)
        add(devices.bathroom_door, bathroom)
        add(devices.fridge, fridge)
        add(devices.radar, radar_readings(plan, devices.radar, rng(5)))
        for index, device in enumerate(self.home.devices):
            add(device, _zigbee_reports(self, device, index, plan, midnight))
            add(device, self._occupancy(plan, devices, device, index, rng(6, index)))
        for event in plan.events:
            if self.home.device(event.device) is not None:
                out.append(
                    (round(midnight + event.t, 3), event.device, event.metric, event.value, None)
                )
        out.extend(self._accel(plan, devices, midnight, rng))
        return out

    def _occupancy(
        self,
        plan: DayPlan,
        devices: HomeDevices,
        device: DeviceConfig,
        index: int,
        rng: np.random.Generator,
    ) -> list[Item]:
        """Mats, the bed sensor, presence sensors and plugs."""
        pulsing = self.hardware.mats_pulse and device.zigbee_name is not None
        pulses = rng.uniform(*MAT_PULSES_PER_HOUR) if pulsing else None
        phase = rng_for(self.seed, self.home.home, STREAM_DEVICE, 100 + index).uniform(0, DAY)
        previous = self.plans[plan.day - 1] if plan.day > 0 else None
        if device is devices.bed:
            if device.zigbee_name is None:
                return bed_sensor_readings(plan, previous, self.profile, rng)
            return mat_readings(plan, previous, in_bed, rng, pulses_per_hour=pulses)
        if device is devices.chair:
            return mat_readings(plan, previous, in_chair, rng, pulses_per_hour=pulses)
        if device in devices.rooms:
            return room_presence_readings(plan, previous, device.role, rng, phase=phase)
        if device in devices.appliances:
            return appliance_readings(plan, previous, device, rng, phase=phase)
        return []

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


def _day_start(midnights: Sequence[float], day: int) -> float:
    """The midnight ``day`` begins with, past the run's end too (a trip back after it)."""
    last = len(midnights) - 1
    return midnights[min(day, last)] + max(0, day - last) * DAY


def simulate_home(
    home: HomeConfig,
    *,
    start: datetime,
    days: float,
    seed: int,
    incidents: Sequence[IncidentPlan] | None = None,
    messy: bool = True,
) -> Simulation:
    """Plan ``days`` of life in ``home`` from ``start`` (tz-aware, local midnight of day 0).

    ``incidents`` None: a default schedule (default_incidents); []: ordinary life only.
    ``messy``: the resident's habits and the home's sensors calibrated on real homes
    (simulators/life.py: late nights, long and evening outings, days away, stuck and
    silent sensors); otherwise the tidy life of the demo.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    count = math.ceil(days)
    midnights = _midnights(start, count, ZoneInfo(home.timezone))
    profile = make_resident(home, seed, messy=messy)
    devices = HomeDevices.of(home)
    scripted = {incident.day for incident in incidents or ()}
    lengths = [b - a for a, b in itertools.pairwise(midnights)]
    plans, trips = plan_days(profile, lengths, seed, keep_home=scripted)
    if incidents is None:
        away = {p.day for p in plans if p.away}
        incidents = default_incidents(home, count, seed, away=away)
    truth = _apply_incidents(home, devices, profile, plans, incidents, midnights, seed)

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

    hardware = draw_hardware(rng_for(seed, home.home, STREAM_HARDWARE)) if messy else TIDY_HARDWARE
    spare: dict[str, list[tuple[float, float]]] = {}
    for found in truth:  # no fault on the device a scripted incident is about, that day
        if found.device is not None:
            day = found.start.timestamp()
            spare.setdefault(found.device, []).append((day - DAY, day + DAY))
    on_at = _reads_on(plans, midnights, devices)
    faults = draw_faults(
        home, hardware, seed, midnights[0], midnights[-1], spare=spare, on_at=on_at
    )
    truth.extend(_fault_truth(home, faults))

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
        trips=tuple(
            (midnights[t.leave_day] + t.leave_at, _day_start(midnights, t.back_day) + t.back_at)
            for t in trips
        ),
        battery=battery,
        hardware=hardware,
        faults=tuple(faults),
    )


def _midnights(start: datetime, count: int, tz: ZoneInfo) -> tuple[float, ...]:
    first_date = start.astimezone(tz).date()
    return tuple(
        datetime.combine(first_date + timedelta(days=k), time(0), tz).timestamp()
        for k in range(count + 1)
    )


def _apply_incidents(
    home: HomeConfig,
    devices: HomeDevices,
    profile: ResidentProfile,
    plans: list[DayPlan],
    incidents: Sequence[IncidentPlan],
    midnights: Sequence[float],
    seed: int,
) -> list[GroundTruth]:
    """Each incident changes its day's plan (in place) and gives its ground truth."""
    truth: list[GroundTruth] = []
    for index, incident in enumerate(incidents):
        if incident.day >= len(plans):
            raise ValueError(
                f"incident {incident.kind} on day {incident.day} is outside a {len(plans)}-day run"
            )
        scene = Scene(home, devices, profile, midnights[incident.day])
        rng = rng_for(seed, home.home, STREAM_INCIDENT, incident.day, index)
        plans[incident.day], found = apply_incident(plans[incident.day], incident, scene, rng)
        if found is not None:
            truth.append(found)
    return truth


def _reads_on(
    plans: Sequence[DayPlan], midnights: Sequence[float], devices: HomeDevices
) -> Callable[[DeviceConfig, float], float | None]:
    """When a fixed sensor next reads "on" after a moment, from her plans: the PIR when she
    is in the living room or kitchen, a mat when she lies or sits on it, a presence sensor
    when she is in its room, the fridge and the kettle while she cooks, the TV's plug while
    she watches."""

    def sees(device: DeviceConfig) -> Callable[[Visit], bool] | None:
        if device is devices.motion:
            return lambda v: v.place in ("living_room", "kitchen") and v.activity != "collapsed"
        if device is devices.bed:
            return in_bed
        if device is devices.chair:
            return in_chair
        if device in devices.rooms:
            return lambda v: v.place == device.role
        if device is devices.fridge or (device in devices.appliances and device.role == "kitchen"):
            return lambda v: v.place == "kitchen" and v.activity == "cook"
        if device in devices.appliances:
            return lambda v: v.activity == "tv"
        return None

    def on_at(device: DeviceConfig, t: float) -> float | None:
        seen = sees(device)
        if seen is None:
            return None
        for plan in plans[max(0, int((t - midnights[0]) // DAY) - 1) :]:
            midnight = midnights[plan.day]
            for visit in plan.visits:
                if midnight + visit.end > t and seen(visit):
                    return max(t, midnight + visit.start + 30.0)
        return None

    return on_at


def _fault_truth(home: HomeConfig, faults: Sequence[SensorFault]) -> list[GroundTruth]:
    tz = ZoneInfo(home.timezone)
    found = []
    for fault in faults:
        kind = "sensor_stuck" if fault.kind == "stuck" else "sensor_silent"
        details: dict[str, object] = {"hours": round((fault.end - fault.start) / HOUR, 1)}
        if fault.kind == "stuck":
            details |= {"metric": fault.metric, "value": fault.value}
        found.append(
            GroundTruth(
                home=home.home,
                kind=kind,
                expected_alert=EXPECTED_ALERT[kind],
                start=datetime.fromtimestamp(round(fault.start, 3), tz),
                end=datetime.fromtimestamp(round(fault.end, 3), tz),
                device=fault.device,
                details=details,
            )
        )
    return found


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


# -- the home's Zigbee devices' periodic reports ------------------------------------------


def _zigbee_reports(
    sim: Simulation, device: DeviceConfig, index: int, plan: DayPlan, midnight: float
) -> list[Item]:
    """Battery-powered Zigbee devices check in well within their catalog heartbeat, with a
    battery level that creeps down over the weeks."""
    if device.source == "native" or device.kind == "fall_radar" or not _has_battery(device):
        # Radars, presence sensors and plugs are mains powered and report their state
        # themselves (fixed_sensors.py, occupancy.py); wearables report for themselves.
        return []
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


def _has_battery(device: DeviceConfig) -> bool:
    if device.model is None:
        return device.kind not in ("presence", "appliance")
    return "battery" in definition(device.model).metrics
