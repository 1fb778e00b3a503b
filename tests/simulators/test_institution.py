"""The simulated care-home floor: its configs, its nights, and ground truth that agrees
with what its devices say."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time

import pytest

from analytics.institution import BedExitSettings
from simulators.floor import make_floor_configs
from simulators.institution import simulate_floor

START = datetime(2026, 11, 1).date()


def floor(beds: int, days: float, seed: int = 1):
    configs = make_floor_configs(beds, seed)
    midnight = datetime.combine(START, time(0), tzinfo=configs[0].tz)
    return simulate_floor(configs, start=midnight, days=days, seed=seed)


@pytest.fixture(scope="module")
def week():
    runs = floor(20, 7)
    return runs, {config.home: list(sim.readings()) for config, sim in runs}


def test_a_floor_of_twenty_beds_in_rooms_of_two_with_mixed_residents():
    configs = make_floor_configs(20, seed=1)
    assert len({c.home for c in configs}) == 20
    assert len({c.place.room for c in configs}) == 10
    assert {c.resident.fall_risk for c in configs} == {"none", "at_risk", "high"}
    assert 0 < sum(c.resident.wanders for c in configs) < 20
    for config in configs:
        roles = {d.role for d in config.devices}
        assert {"bed", "bedside", "bathroom", "unit_door"} <= roles
    # Shared devices: one unit door for the floor, one radar per room.
    assert len({c.device("unit_door").source for c in configs}) == 1
    assert len({c.device("radar_bath").source for c in configs}) == 10


def test_the_same_seed_gives_the_same_floor():
    a, b = floor(4, 1, seed=3), floor(4, 1, seed=3)
    for (_, one), (_, two) in zip(a, b, strict=True):
        assert list(one.readings()) == list(two.readings())
        assert one.truth == two.truth
    assert [t for _, s in floor(4, 1, seed=4) for t in s.truth] != [
        t for _, s in a for t in s.truth
    ]


def test_nights_have_quick_returns_toilet_trips_and_long_hours_up(week):
    runs, _ = week
    grace = BedExitSettings().at_risk_after_s
    lengths = [e.end - e.start for _, sim in runs for e in sim.plan.exits]
    assert any(length < grace for length in lengths), "quick returns within the grace"
    assert any(grace < length < 15 * 60 for length in lengths), "toilet trips"
    assert any(length > 40 * 60 for length in lengths), "long hours up"
    kinds = Counter(t.kind for _, sim in runs for t in sim.truth)
    assert {"bed_exit_at_risk", "bed_exit_high", "call", "bed_sensor_dropout"} <= kinds.keys()


def test_the_bed_sensor_says_what_the_truth_says(week):
    runs, readings = week
    for config, sim in runs:
        presence = [r for r in readings[config.home] if r.device == "bed_sensor"
                    and r.metric == "presence"]  # fmt: skip
        for truth in (t for t in sim.truth if t.expected_alert == "bed_exit"):
            start = truth.start.timestamp()
            if any(a - 600 <= start <= b + 600 for a, b in sim.plan.dropouts):
                continue
            said = [r.value for r in presence if start - 10 <= r.epoch <= start + 1]
            before = [r.value for r in presence if r.epoch < start - 10]
            # "Out of bed" a few seconds before she is up, after "in bed" until then.
            assert said and said[-1] is False, (config.home, truth)
            assert before[-1] is True, (config.home, truth)
        # Dropped out: nothing at all from the bed sensor.
        for a, b in sim.plan.dropouts:
            assert not [r for r in readings[config.home] if r.device == "bed_sensor"
                        and a <= r.epoch < b]  # fmt: skip


def test_shared_devices_say_the_same_in_every_bed_that_lists_them(week):
    runs, readings = week
    door = {home: [(r.ts, r.metric, r.value) for r in rs if r.device == "unit_door"]
            for home, rs in readings.items()}  # fmt: skip
    assert len({tuple(d) for d in door.values()}) == 1
    by_room = defaultdict(list)
    for config, _ in runs:
        radar = [
            (r.ts, r.metric, r.value) for r in readings[config.home] if r.device == "radar_bath"
        ]
        by_room[config.place.room].append(radar)
    assert all(len(r) == 2 and r[0] == r[1] and r[0] for r in by_room.values())


def test_readings_are_in_event_time_order_and_valid(week):
    _, readings = week
    for stream in readings.values():
        assert [r.ts for r in stream] == sorted(r.ts for r in stream)
