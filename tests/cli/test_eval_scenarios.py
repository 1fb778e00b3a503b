"""`eldercare eval scenarios`: every detector over simulated homes with ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import pytest

import simulators
from analytics import Event, HomeMonitor
from eldercare import eval_scenarios
from eldercare.eval_scenarios import evaluate_scenarios
from simulators.incidents import GroundTruth


def test_every_scripted_incident_of_a_simulated_fortnight_is_detected_without_false_alarms():
    # The tidy life: the detectors' upper bound (the messy one is measured, see README).
    result = evaluate_scenarios(homes=1, days=14, seed=4, start=date(2026, 11, 1), life="tidy")
    assert result["scripted"] >= 4, "the default schedule scripts several incidents"
    assert result["missed"] == []
    assert result["detected"] == result["scripted"]
    assert result["false_alarms"] == {}
    for row in result["incidents"].values():
        assert row["detection_rate"] == 1.0 and row["median_delay_s"] is not None


def test_ordinary_life_raises_no_alert():
    result = evaluate_scenarios(
        homes=2, days=7, seed=9, start=date(2026, 11, 1), incidents="none", life="tidy"
    )
    assert result["scripted"] == 0
    assert result["false_alarms_total"] == 0, result["false_alarm_examples"]


def test_a_failing_sensor_of_ordinary_life_is_judged_by_the_alerts_about_it():
    # Messy homes: sensors stick and die; each failure is ground truth of its own (detected
    # by sensor_stuck or device_offline on that device), not an alarm's excuse.
    result = evaluate_scenarios(homes=3, days=7, seed=1, start=date(2026, 11, 1), incidents="none")
    faults = {
        k: v for k, v in result["incidents"].items() if k in ("sensor_stuck", "sensor_silent")
    }
    assert faults, "a week of three messy homes has a failing sensor"
    assert {row["expected_alert"] for row in faults.values()} <= {"sensor_stuck", "device_offline"}
    assert sum(row["detected"] for row in faults.values()) > 0


def test_command_prints_a_table_and_json():
    ran = subprocess.run(
        [sys.executable, "-m", "eldercare", "eval", "scenarios", "--homes", "1", "--days", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert {"incidents", "false_alarms_per_resident_month", "missed"} <= report.keys()
    assert "false alarms:" in ran.stderr


# How alerts are matched to ground truth, on hand-made truths and alerts (a simulation
# and a monitor that give exactly those).
@dataclass
class _Simulation:
    truth: list
    trips: tuple = ()

    def readings(self):
        yield "one reading"


def _scored(monkeypatch, truths, alerts):
    """evaluate_scenarios over one home whose ground truth is ``truths`` (kind, expected
    alert, start hour, end hour or None, device) and whose monitor raises ``alerts``
    (kind, hour, device)."""
    home = simulators.make_home_configs(1, 1, messy=True)[0]
    midnight = datetime.combine(date(2026, 11, 1), clock_time(0), tzinfo=home.tz)

    def at(hour):
        return midnight + timedelta(hours=hour)

    def alert(kind, hour, device=None):
        ts = at(hour).timestamp()
        return Event(ts, home.home, kind, "raised", "major", ts, "test", {}, device)

    class Monitor:
        def __init__(self, _home):
            pass

        def feed(self, _reading):
            return [alert(*a) for a in alerts]

    ground = [
        GroundTruth(home.home, kind, expected, at(start), None if end is None else at(end), dev)
        for kind, expected, start, end, dev in truths
    ]
    monkeypatch.setattr(simulators, "make_home_configs", lambda *a, **k: [home])
    monkeypatch.setattr(simulators, "simulate_home", lambda *a, **k: _Simulation(ground))
    monkeypatch.setattr(eval_scenarios, "HomeMonitor", Monitor)
    return evaluate_scenarios(1, 30, 1, date(2026, 11, 1))


def test_a_device_outage_is_found_only_by_an_alert_about_that_device(monkeypatch):
    # The front door is offline 10:00-16:00; only the bed mat is said to be offline.
    result = _scored(
        monkeypatch,
        [("device_offline", "device_offline", 10, 16, "door_front")],
        [("device_offline", 11, "bed_mat")],
    )
    assert result["incidents"]["device_offline"]["detected"] == 0
    assert result["false_alarms"] == {"device_offline": 1}


def test_an_alert_after_help_came_does_not_count_as_finding_the_collapse(monkeypatch):
    # Collapsed at 10:00, found and helped up at 13:00; no_activity only at 13:50: not a
    # false alarm (the hour after), but not a detection either.
    result = _scored(
        monkeypatch,
        [("no_activity", "no_activity", 10, 13, None)],
        [("no_activity", 13 + 50 / 60)],
    )
    assert result["incidents"]["no_activity"]["detected"] == 0
    assert result["false_alarms_total"] == 0
    found = _scored(
        monkeypatch,
        [("no_activity", "no_activity", 10, 13, None)],
        [("no_activity", 12.5)],
    )
    assert found["incidents"]["no_activity"]["median_delay_s"] == pytest.approx(150 * 60)


def test_an_sos_press_excuses_only_the_hour_after_it(monkeypatch):
    result = _scored(
        monkeypatch,
        [("sos", "sos", 8, None, "sos_button")],
        [("sos", 8, "sos_button"), ("no_activity", 8.5), ("no_activity", 19)],
    )
    assert result["incidents"]["sos"]["detected"] == 1
    assert result["false_alarms"] == {"no_activity": 1}  # the one at 19:00


def test_a_trip_her_family_announced_is_no_false_alarm():
    """h007 of seed 1 stays at her children's from day 7 to day 10. Unannounced, the
    departure is raised as not returned home; announced (``--announced-trips 1``: an hour
    either side), nothing is, and only the family's periods are in the config."""
    home = next(h for h in simulators.make_home_configs(7, 1) if h.home == "h007")
    midnight = datetime.combine(date(2026, 11, 1), clock_time(0), tzinfo=home.tz)
    simulation = simulators.simulate_home(home, start=midnight, days=12, seed=1, incidents=[])
    ((left, back),) = simulation.trips
    told = eval_scenarios.announced(home, simulation.trips, 1.0, seed=1)
    assert [(p.start.timestamp(), p.end.timestamp()) for p in told.away] == [
        pytest.approx((left - 3600, back + 3600), abs=1e-3)
    ]
    assert eval_scenarios.announced(home, simulation.trips, 0.0, seed=1) == home

    def raised(config):
        monitor = HomeMonitor(config)
        events = [e for r in simulation.readings() for e in monitor.feed(r)]
        routine = {"no_activity", "not_up", "not_returned_home", "night_wandering"}
        return [e.kind for e in events if e.state == "raised" and left <= e.ts <= back and
                e.kind in routine]  # fmt: skip

    assert "not_returned_home" in raised(home)
    assert raised(told) == []
