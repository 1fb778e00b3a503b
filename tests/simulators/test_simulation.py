"""Simulated homes: do they behave like real ones, and does each incident show in the data?

These tests use the tidy life (``messy=False``: regular habits, sensors that work), whose
days are regular enough to check to the minute; tests/simulators/test_messy_life.py checks the life
calibrated on real homes."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from contracts.home import HomeConfig
from contracts.reading import Reading, parse_reading
from devices.catalog import definition
from simulators.homes import make_home_configs
from simulators.incidents import (
    EXPECTED_ALERT,
    INCIDENT_KINDS,
    GroundTruth,
    IncidentPlan,
    default_incidents,
)
from simulators.simulation import Simulation, simulate_home

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, tzinfo=SHANGHAI)
SEED = 20261102


@cache
def homes() -> tuple[HomeConfig, ...]:
    return tuple(make_home_configs(6, SEED, messy=False))


def home_with_pendant() -> HomeConfig:
    return next(h for h in homes() if h.device("pendant") is not None)


@cache
def simulated(
    home_index: int = 0,
    days: float = 3,
    seed: int = SEED,
    incidents: tuple[IncidentPlan, ...] | None = (),
) -> tuple[Simulation, tuple[Reading, ...]]:
    simulation = simulate_home(
        homes()[home_index], start=START, days=days, seed=seed, incidents=incidents, messy=False
    )
    return simulation, tuple(simulation.readings())


def only(
    readings: Iterable[Reading], device: str | None = None, metric: str | None = None
) -> list[Reading]:
    return [
        r
        for r in readings
        if (device is None or r.device == device) and (metric is None or r.metric == metric)
    ]


def between(readings: Iterable[Reading], start: datetime, end: datetime) -> list[Reading]:
    return [r for r in readings if start <= r.ts < end]


def activity(readings: Iterable[Reading]) -> list[Reading]:
    """What shows someone moving about the home: motion, doors, steps going up."""
    moving = [
        r for r in readings if (r.metric == "motion" and r.value is True) or r.metric == "contact"
    ]
    last_steps = None
    for r in only(readings, metric="steps"):
        if last_steps is not None and r.value > last_steps:
            moving.append(r)
        last_steps = r.value
    return sorted(moving, key=lambda r: r.ts)


def magnitude(samples: Iterable[Iterable[float]]) -> np.ndarray:
    return np.linalg.norm(np.asarray(samples, dtype=float), axis=1)


def accel_window(readings: Iterable[Reading], device: str, around: datetime) -> np.ndarray:
    """The contiguous accelerometer upload that contains ``around``, as (n, 3) g."""
    batches = only(readings, device, "accel")
    index = max(i for i, r in enumerate(batches) if r.ts <= around)

    def joined(a: Reading, b: Reading) -> bool:
        return abs(a.epoch + len(a.value) / a.rate_hz - b.epoch) < 0.01

    first = index
    while first > 0 and joined(batches[first - 1], batches[first]):
        first -= 1
    last = index
    while last + 1 < len(batches) and joined(batches[last], batches[last + 1]):
        last += 1
    return np.array([s for r in batches[first : last + 1] for s in r.value])


def angle(a: np.ndarray, b: np.ndarray) -> float:
    cosine = np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)
    return float(np.degrees(np.arccos(np.clip(cosine, -1, 1))))


# -- homes -----------------------------------------------------------------------------------


def test_homes_are_deterministic_and_independent_of_how_many_are_made() -> None:
    assert make_home_configs(3, SEED) == make_home_configs(3, SEED)
    assert make_home_configs(2, SEED) == make_home_configs(6, SEED)[:2]
    assert make_home_configs(2, SEED) != make_home_configs(2, SEED + 1)
    assert [h.home for h in homes()] == ["h001", "h002", "h003", "h004", "h005", "h006"]


def test_homes_look_like_installed_homes() -> None:
    pendants = 0
    fitted: Counter[tuple[str, str]] = Counter()
    for home in make_home_configs(20, SEED, station="st-test-01", messy=False):
        assert home.station == "st-test-01"
        assert home.timezone == "Asia/Shanghai"
        assert all("\u4e00" <= ch <= "\u9fff" for ch in home.resident.name)
        assert 1935 <= home.resident.birth_year <= 1950
        for device_id in (
            "front_door",
            "bathroom_door",
            "fridge",
            "motion_living",
            "radar_bath",
            "band",
            "sos_bed",
        ):
            device = home.device(device_id)
            assert device is not None, device_id
            assert definition(device.model).kind == device.kind  # a real catalog model
        assert home.device("front_door").model in {"MCCGQ11LM", "SNZB-04"}
        assert home.device("fridge").role == "fridge"
        assert home.device("band").source == "native"
        pendants += home.device("pendant") is not None
        for device in home.devices:
            assert definition(device.model).kind == device.kind
        fitted.update(
            {(d.kind, d.role) for d in home.devices if d.kind in ("presence", "appliance")}
        )
        assert home.contacts and all(c.phone and len(c.phone) == 11 for c in home.contacts)
        assert HomeConfig.parse(home.to_yaml()) == home
    assert 0 < pendants < 20
    # Mats on the bed and the armchair, plugs in the kitchen: in most homes, not all.
    for fitting in (("presence", "bed"), ("presence", "chair"), ("appliance", "kitchen")):
        assert 5 <= fitted[fitting] < 20, fitting


# -- determinism and validity ----------------------------------------------------------------


def test_same_inputs_same_readings_and_readings_can_be_regenerated() -> None:
    simulation, readings = simulated()
    again = simulate_home(homes()[0], start=START, days=3, seed=SEED, incidents=(), messy=False)
    assert [r.to_json() for r in again.readings()] == [r.to_json() for r in readings]
    assert [r.to_json() for r in simulation.readings()] == [r.to_json() for r in readings]


def test_a_different_seed_gives_a_different_life() -> None:
    _, readings = simulated()
    _, other = simulated(seed=SEED + 1)
    assert [r.to_json() for r in readings[:500]] != [r.to_json() for r in other[:500]]


def test_a_longer_run_extends_a_shorter_one() -> None:
    _, short = simulated(days=2)
    _, longer = simulated(days=3)
    end = START + timedelta(days=2)
    assert [r.to_json() for r in short] == [r.to_json() for r in longer if r.ts < end]


def test_every_reading_is_valid_in_time_order_and_from_a_device_of_the_home() -> None:
    simulation, readings = simulated(home_index=1, days=4, incidents=None)
    home = simulation.home
    assert readings
    previous = None
    for reading in readings:
        assert parse_reading(reading.to_json()) == reading  # survives the validator and a file
        assert reading.home == home.home
        assert home.device(reading.device) is not None
        assert previous is None or reading.ts >= previous
        previous = reading.ts
    assert readings[0].ts >= START
    assert readings[-1].ts < START + timedelta(days=4)


def test_a_run_can_start_mid_day_and_last_a_fraction_of_a_day() -> None:
    start = START + timedelta(hours=6)
    simulation = simulate_home(
        homes()[0], start=start, days=0.25, seed=SEED, incidents=[], messy=False
    )
    readings = list(simulation.readings())
    assert readings
    assert all(start <= r.ts < start + timedelta(hours=6) for r in readings)


def test_bad_incident_plans_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown incident"):
        IncidentPlan("heart_attack", 1)
    with pytest.raises(ValueError, match="outside"):
        simulate_home(homes()[0], start=START, days=2, seed=1, incidents=[IncidentPlan("fall", 5)])
    with pytest.raises(ValueError, match="timezone"):
        simulate_home(homes()[0], start=datetime(2026, 11, 2), days=1, seed=1)


# -- ordinary life ---------------------------------------------------------------------------


@cache
def ordinary_month() -> tuple[Simulation, tuple[Reading, ...]]:
    return simulated(home_index=0, days=30, incidents=())


def local_hours(readings: Iterable[Reading]) -> np.ndarray:
    return np.array(
        [r.ts.astimezone(SHANGHAI).hour + r.ts.astimezone(SHANGHAI).minute / 60 for r in readings]
    )


def test_thirty_days_of_a_home_generate_quickly() -> None:
    began = time.perf_counter()
    simulation = simulate_home(home_with_pendant(), start=START, days=30, seed=SEED)
    count = sum(1 for _ in simulation.readings())
    assert time.perf_counter() - began < 60
    assert 1500 * 30 < count < 10000 * 30


def test_an_ordinary_day_has_getting_up_meals_bathroom_visits_and_an_outing() -> None:
    simulation, readings = ordinary_month()
    outings = 0
    for day in range(30):
        midnight = START + timedelta(days=day)
        today = between(readings, midnight, midnight + timedelta(days=1))
        plan = simulation.plans[day]
        # Getting up: the living-room PIR sees her first soon after she wakes (night trips to
        # the bathroom do not pass it), some time between six and eight.
        wake = timedelta(seconds=plan.wake)
        morning = [r for r in only(today, "motion_living", "motion") if r.value is True]
        first = min(r.ts for r in morning if r.ts >= midnight + timedelta(hours=4)) - midnight
        assert wake <= first <= wake + timedelta(minutes=40)
        assert timedelta(hours=6) <= first <= timedelta(hours=8, minutes=10)
        # Meals: the fridge opens at breakfast, lunch and dinner time.
        fridge = local_hours(r for r in only(today, "fridge", "contact") if r.value == "open")
        assert ((fridge > 6) & (fridge < 10)).any()
        assert ((fridge > 10.5) & (fridge < 13)).any()
        assert ((fridge > 16.5) & (fridge < 19.5)).any()
        # Bathroom visits through the day, seen by the door and the radar.
        assert len([r for r in only(today, "bathroom_door", "contact") if r.value == "open"]) >= 4
        assert len([r for r in only(today, "radar_bath", "presence") if r.value is True]) >= 3
        front = [r for r in only(today, "front_door", "contact") if r.value == "open"]
        outings += len(front) >= 2
    assert outings >= 15  # most days a walk or a trip to the market


def test_while_she_is_out_the_home_is_still_and_the_bracelet_counts_steps() -> None:
    simulation, readings = ordinary_month()
    checked = 0
    for plan in simulation.plans:
        midnight = START + timedelta(days=plan.day)
        for visit in plan.visits:
            if visit.place != "out" or visit.duration < 30 * 60:
                continue
            leave = midnight + timedelta(seconds=visit.start)
            back = midnight + timedelta(seconds=visit.end)
            doors = only(
                between(readings, leave - timedelta(seconds=1), back + timedelta(seconds=1)),
                "front_door",
                "contact",
            )
            assert doors[0].value == "open" and abs(doors[0].ts - leave) < timedelta(milliseconds=1)
            assert doors[-1].ts >= back - timedelta(seconds=1)
            inside = between(readings, leave + timedelta(minutes=2), back - timedelta(seconds=1))
            assert not [r for r in inside if r.metric == "motion" and r.value is True]
            steps = [r.value for r in only(inside, "band", "steps")]
            if len(steps) >= 2:
                assert steps[-1] - steps[0] > 600 * (len(steps) - 1) / 4  # well over 40 a minute
                checked += 1
    assert checked >= 5


def test_steps_count_up_through_the_day_and_reset_at_local_midnight() -> None:
    _, readings = ordinary_month()
    steps = only(readings, "band", "steps")
    resets = 0
    for a, b in pairwise(steps):
        if a.ts.astimezone(SHANGHAI).date() == b.ts.astimezone(SHANGHAI).date():
            assert b.value >= a.value
        else:
            assert b.value < 50 <= a.value
            resets += 1
    assert resets == 29
    daily = Counter()
    for r in steps:
        daily[r.ts.astimezone(SHANGHAI).date()] = max(
            daily[r.ts.astimezone(SHANGHAI).date()], r.value
        )
    assert 1500 < np.median(list(daily.values())) < 12000


def test_heart_rate_follows_the_day_and_normal_life_stays_in_normal_ranges() -> None:
    _, readings = ordinary_month()
    heart = only(readings, "band", "heart_rate")
    bpm = np.array([r.value for r in heart])
    hours = local_hours(heart)
    night = bpm[(hours >= 1) & (hours < 5)]
    afternoon = bpm[(hours >= 14) & (hours < 17)]
    assert 50 <= np.median(night) <= 66
    assert 64 <= np.median(afternoon) <= 85
    assert np.median(night) < np.median(afternoon) - 5
    assert bpm.min() >= 45 and bpm.max() < 130
    spo2 = np.array([r.value for r in only(readings, "band", "spo2")])
    assert spo2.min() >= 94 and spo2.max() <= 99
    assert all(r.value >= 15 for r in only(readings, "band", "battery"))
    assert not only(readings, metric="sos")
    assert {r.value for r in only(readings, metric="fall_state")} == {"none"}


def test_the_bracelet_comes_off_to_charge_and_sends_no_vitals_meanwhile() -> None:
    _, readings = ordinary_month()
    worn = only(readings, "band", "worn")
    removals = [(a.ts, b.ts) for a, b in pairwise(worn) if a.value is False and b.value is True]
    assert len(removals) >= 15  # most days
    for off, on in removals:
        assert timedelta(minutes=55) <= on - off <= timedelta(hours=2, minutes=5)
        assert not only(between(readings, off, on), "band", "heart_rate")
        charging = [r.value for r in only(between(readings, off, on), "band", "battery")]
        assert charging and charging[-1] >= charging[0]


def test_devices_report_within_their_heartbeat_in_ordinary_life() -> None:
    simulation, readings = ordinary_month()
    last: dict[str, datetime] = {}
    longest: Counter[str] = Counter()
    for r in readings:
        if r.device in last:
            longest[r.device] = max(longest[r.device], (r.ts - last[r.device]).total_seconds())
        last[r.device] = r.ts
    for device in simulation.home.devices:
        assert 0 < longest[device.id] <= definition(device.model).heartbeat_s, device.id


def test_pir_retriggers_at_most_each_minute_and_clears() -> None:
    _, readings = ordinary_month()
    motion = only(readings, "motion_living", "motion")
    detections = [r.ts for r in motion if r.value is True]
    assert len(detections) > 30 * 50
    assert min(b - a for a, b in pairwise(detections)) >= timedelta(seconds=60)
    for a, b in pairwise(motion):
        assert not (a.value is False and b.value is False)
    assert motion[-1].value is False


def test_doors_open_then_close_a_few_seconds_later() -> None:
    _, readings = ordinary_month()
    for device in ("front_door", "fridge"):
        contacts = only(readings, device, "contact")
        for opened, closed in zip(contacts[::2], contacts[1::2], strict=True):
            assert (opened.value, closed.value) == ("open", "closed")
            assert timedelta(seconds=2) <= closed.ts - opened.ts <= timedelta(seconds=45)
    bathroom = only(readings, "bathroom_door", "contact")
    assert all(a.value != b.value for a, b in pairwise(bathroom))


def test_accelerometer_windows_only_around_jolts_in_short_batches() -> None:
    _, readings = simulated(home_index=homes().index(home_with_pendant()), days=5, incidents=())
    for device, rates in (("band", {25.0, 50.0}), ("pendant", {50.0})):
        batches = only(readings, device, "accel")
        assert batches
        assert {r.rate_hz for r in batches} <= rates
        for r in batches:
            assert 1 <= len(r.value) / r.rate_hz <= 2.0
        seconds = sum(len(r.value) / r.rate_hz for r in batches)
        assert seconds < 5 * 15 * 60  # a few minutes a day, never a continuous stream
    # Everyday moves stay below a fall's impact at the waist.
    waist = np.concatenate([magnitude(r.value) for r in only(readings, "pendant", "accel")])
    assert waist.max() < 2.6


def test_standing_still_at_the_waist_reads_one_g_along_the_trunk() -> None:
    _, readings = simulated(home_index=homes().index(home_with_pendant()), days=5, incidents=())
    samples = np.array([s for r in only(readings, "pendant", "accel") for s in r.value])
    still = samples[np.abs(magnitude(samples) - 1) < 0.02]
    upright = still[np.abs(still[:, 1]) > 0.95]
    assert len(upright) > 1000
    assert np.all(upright[:, 1] < 0)  # y runs down the trunk: gravity reads -1 g on it


# -- incidents -------------------------------------------------------------------------------


def with_incident(
    kind: str, *, home_index: int = 0, **hint: object
) -> tuple[GroundTruth, tuple[Reading, ...]]:
    simulation, readings = simulated(
        home_index=home_index, days=3, incidents=(IncidentPlan(kind, 1, dict(hint)),)
    )
    (truth,) = simulation.truth
    assert truth.kind == kind
    assert truth.expected_alert == EXPECTED_ALERT[kind]
    assert truth.home == simulation.home.home
    json.loads(truth.to_json())
    return truth, readings


@pytest.mark.parametrize("place", ["bathroom", "living_room"])
def test_fall_impact_then_lying_still_until_help_comes(place: str) -> None:
    truth, readings = with_incident(
        "fall", home_index=homes().index(home_with_pendant()), place=place
    )
    assert truth.end - truth.start >= timedelta(minutes=60)
    for device in ("band", "pendant"):
        if device not in truth.details["seen_by"]:
            continue
        window = accel_window(readings, device, truth.start)
        peak = int(np.argmax(magnitude(window)))
        assert 2.5 <= magnitude(window)[peak] <= 6.5
        rate = only(readings, device, "accel")[0].rate_hz
        before = window[max(0, peak - int(1.5 * rate)) : peak]
        assert magnitude(before).min() < 0.55  # free fall before the impact
        lying = window[-int(5 * rate) :]
        assert magnitude(lying).std() < 0.05  # nearly still
        if device == "pendant":
            assert 60 <= angle(window[: int(rate)].mean(axis=0), lying.mean(axis=0)) <= 100
    # Nothing moves at home until help lets themselves in.
    quiet = activity(between(readings, truth.start + timedelta(minutes=2), truth.end))
    assert not quiet
    assert [
        r
        for r in only(readings, "front_door", "contact")
        if r.ts == truth.end and r.value == "open"
    ]
    if place == "bathroom":
        states = [
            r.value
            for r in between(only(readings, "radar_bath", "fall_state"), truth.start, truth.end)
        ]
        assert "fall" in states
        presence = between(only(readings, "radar_bath", "presence"), truth.start, truth.end)
        assert presence and all(r.value is True for r in presence)


def test_fall_recovered_she_gets_back_up_within_a_minute_or_so() -> None:
    truth, readings = with_incident("fall_recovered", home_index=homes().index(home_with_pendant()))
    assert timedelta(seconds=20) <= truth.end - truth.start <= timedelta(seconds=90)
    window = accel_window(readings, "band", truth.start)
    rate = only(readings, "band", "accel")[0].rate_hz
    assert magnitude(window).max() > 2.5
    # A wearable window lasts past the moment she is up again.
    window_end = only(
        between(readings, truth.start, truth.end + timedelta(minutes=2)), "band", "accel"
    )[-1]
    assert window_end.ts > truth.end
    if "pendant" in truth.details["seen_by"]:
        waist = accel_window(readings, "pendant", truth.start)
        up_again = waist[-int(3 * rate) :].mean(axis=0)
        assert angle(waist[: int(rate)].mean(axis=0), up_again) < 30


def test_sos_press_is_a_reading_at_the_start() -> None:
    truth, readings = with_incident("sos")
    presses = only(readings, truth.device, "sos")
    assert presses and presses[0].ts == truth.start and presses[0].value is True
    assert truth.end is None


def test_sos_from_the_bedside_button_at_night() -> None:
    truth, readings = with_incident("sos", device="sos_bed", time="03:10")
    assert truth.device == "sos_bed"
    (press, *_) = only(readings, "sos_bed", "sos")
    assert press.ts.astimezone(SHANGHAI).strftime("%H:%M") == "03:10"


def test_no_activity_hours_of_stillness_with_a_heartbeat() -> None:
    truth, readings = with_incident("no_activity")
    assert truth.end - truth.start >= timedelta(hours=3)
    assert not activity(between(readings, truth.start + timedelta(minutes=2), truth.end))
    heart = [r.value for r in only(between(readings, truth.start, truth.end), "band", "heart_rate")]
    assert len(heart) >= 0.95 * (truth.end - truth.start).total_seconds() / 60
    assert 47 <= np.median(heart) <= 75


def test_not_up_she_stays_in_bed_hours_past_her_wake_time() -> None:
    truth, readings = with_incident("not_up")
    assert timedelta(hours=2) <= truth.end - truth.start <= timedelta(hours=3)
    assert not activity(between(readings, truth.start, truth.end))
    assert activity(between(readings, truth.end, truth.end + timedelta(minutes=30)))
    assert not [r for r in only(between(readings, truth.start, truth.end), "band", "worn")]
    assert only(between(readings, truth.start, truth.end), "band", "heart_rate")


def test_night_wandering_front_door_at_night_and_not_back_within_half_an_hour() -> None:
    truth, readings = with_incident("night_wandering")
    assert 1 <= truth.start.astimezone(SHANGHAI).hour < 4
    door = only(readings, "front_door", "contact")
    opened = [r for r in door if r.ts == truth.start]
    assert opened and opened[0].value == "open"
    half_hour = between(
        readings, truth.start + timedelta(seconds=20), truth.start + timedelta(minutes=30)
    )
    assert not [r for r in half_hour if r.device == "front_door" and r.metric == "contact"]
    assert not [r for r in half_hour if r.metric == "motion" and r.value is True]
    assert truth.end - truth.start >= timedelta(minutes=30)
    assert [r for r in door if r.ts == truth.end]  # back home: the door again


def test_long_bathroom_stay_presence_for_over_an_hour() -> None:
    truth, readings = with_incident("long_bathroom_stay")
    assert truth.end - truth.start >= timedelta(minutes=60)
    presence = only(
        between(readings, truth.start + timedelta(seconds=5), truth.end), "radar_bath", "presence"
    )
    assert len(presence) >= 10 and all(r.value is True for r in presence)
    door = only(
        between(readings, truth.start - timedelta(seconds=5), truth.end), "bathroom_door", "contact"
    )
    assert [r.value for r in door] == ["open", "closed"]


def test_not_returned_home_out_for_more_than_six_hours() -> None:
    truth, readings = with_incident("not_returned_home")
    assert truth.end - truth.start > timedelta(hours=6)
    door = only(readings, "front_door", "contact")
    assert [r.value for r in door if r.ts == truth.start] == ["open"]
    away = between(readings, truth.start + timedelta(seconds=30), truth.end)
    assert not [r for r in away if r.device == "front_door" and r.metric == "contact"]
    assert not [r for r in away if r.metric == "motion" and r.value is True]
    assert only(away, "band", "heart_rate")  # the bracelet goes with her


@pytest.mark.parametrize(
    ("kind", "low", "high"), [("tachycardia", 130, 150), ("bradycardia", 35, 42)]
)
def test_abnormal_heart_rate_at_rest_for_twenty_minutes(kind: str, low: int, high: int) -> None:
    truth, readings = with_incident(kind)
    heart = only(readings, "band", "heart_rate")
    during = [r.value for r in between(heart, truth.start, truth.end)]
    assert len(during) >= 20
    assert all(low <= bpm <= high for bpm in during)
    assert between(heart, truth.start, truth.end)[0].ts == truth.start
    outside = [r.value for r in heart if not truth.start <= r.ts < truth.end]
    assert all(45 <= bpm < 130 for bpm in outside)
    steps = [r.value for r in only(between(readings, truth.start, truth.end), "band", "steps")]
    assert steps[-1] - steps[0] < 20 * len(steps)  # sitting down, not walking


def test_low_spo2_several_readings_for_half_an_hour() -> None:
    truth, readings = with_incident("low_spo2")
    spo2 = only(readings, "band", "spo2")
    during = [r.value for r in between(spo2, truth.start, truth.end)]
    assert len(during) >= 4 and truth.end - truth.start >= timedelta(minutes=30)
    assert all(85 <= v <= 89 for v in during)
    assert all(v >= 94 for v in (r.value for r in spo2 if not truth.start <= r.ts < truth.end))


@pytest.mark.parametrize("device", ["front_door", "band", "radar_bath", "motion_living"])
def test_device_offline_says_nothing_for_hours(device: str) -> None:
    truth, readings = with_incident("device_offline", device=device)
    assert truth.device == device
    assert truth.end - truth.start > timedelta(seconds=truth.details["heartbeat_s"])
    assert not only(between(readings, truth.start, truth.end), device)
    assert only(between(readings, truth.start - timedelta(hours=1), truth.start), device)
    assert only(between(readings, truth.end, truth.end + timedelta(hours=1, minutes=10)), device)


def test_battery_low_drops_below_fifteen_and_stays() -> None:
    simulation, readings = simulated(
        days=12, incidents=(IncidentPlan("battery_low", 10, {"time": "10:30"}),)
    )
    (truth,) = simulation.truth
    battery = only(readings, "band", "battery")
    below = [r for r in battery if r.value < 15]
    assert below[0].ts == truth.start
    assert truth.start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H") == "2026-11-12 10"
    assert truth.end is not None and truth.end - truth.start >= timedelta(hours=4)
    assert all(r.value < 15 for r in between(battery, truth.start, truth.end))
    assert next(r.value for r in battery if r.ts == truth.end) >= 15
    # Days of slow decline before: she had stopped charging it.
    week_before = [r.value for r in between(battery, truth.start - timedelta(days=5), truth.start)]
    assert np.all(np.diff(week_before) <= 0)


# -- the default schedule --------------------------------------------------------------------


def test_default_schedule_is_varied_deterministic_with_quiet_days_between() -> None:
    home = homes()[0]
    plans = default_incidents(home, 30, SEED)
    assert plans == default_incidents(home, 30, SEED)
    days = [p.day for p in plans]
    assert days[0] >= 2 and all(2 <= b - a <= 3 for a, b in pairwise(days))
    kinds = [p.kind for p in plans]
    assert len(kinds) >= 9 and len(set(kinds)) == len(kinds)  # every kind before any repeats
    assert all(k in INCIDENT_KINDS for k in kinds)
    everything = {
        p.kind
        for h in make_home_configs(4, SEED, messy=False)
        for p in default_incidents(h, 60, SEED)
    }
    assert everything == set(INCIDENT_KINDS)


def test_default_month_has_ground_truth_for_each_incident() -> None:
    simulation = simulate_home(homes()[2], start=START, days=30, seed=SEED, messy=False)
    planned = default_incidents(homes()[2], 30, SEED)
    assert sorted(t.kind for t in simulation.truth) == sorted(p.kind for p in planned)
    assert list(simulation.truth) == sorted(simulation.truth, key=lambda t: t.start)
    for truth in simulation.truth:
        data = json.loads(truth.to_json())
        assert data["expected_alert"] == EXPECTED_ALERT[data["kind"]]
        assert datetime.fromisoformat(data["start"]).utcoffset() == timedelta(hours=8)
        assert truth.end is None or truth.end > truth.start
