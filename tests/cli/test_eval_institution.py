"""eldercare eval scenarios --institution: the institutional incidents of a simulated
care-home floor, detected and how fast, and the false bed-exit alerts."""

from __future__ import annotations

import json
from datetime import date

from eldercare.eval_institution import evaluate_institution
from tests.support.cli import eldercare


def test_a_floor_of_twenty_beds_over_three_nights():
    result = evaluate_institution(beds=20, days=3, seed=1, start=date(2026, 11, 1))
    incidents = result["incidents"]
    assert {"bed_exit_at_risk", "bed_exit_high", "call", "fall_in_room"} <= incidents.keys()
    # A bed exit is missed only while its bed sensor has dropped out.
    for risk in ("at_risk", "high"):
        assert incidents[f"bed_exit_{risk}"]["detection_rate"] >= 0.9
    assert incidents["bed_exit_at_risk"]["scripted"] >= 20
    # At once for high risk; after the grace (3 min) for at risk.
    assert incidents["bed_exit_high"]["median_delay_s"] < 30
    assert 170 <= incidents["bed_exit_at_risk"]["median_delay_s"] < 240
    for kind in ("call", "fall_in_room", "bed_sensor_dropout"):
        assert incidents[kind]["detection_rate"] == 1.0, kind
    # The goal of issue #17: at most one false bed-exit alert per resident-month.
    detected = sum(incidents[f"bed_exit_{risk}"]["detected"] for risk in ("at_risk", "high"))
    assert result["exit_alerts"]["bed_exit"].get("true", 0) >= detected
    assert result["false_bed_exit_per_resident_month"] <= 1
    assert "bed_exit" not in result["false_alarms"]


def test_the_command_prints_a_table_and_json():
    ran = eldercare("eval", "scenarios", "--institution", "--beds", "2", "--days", "1",
                    timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert report["beds"] == 2
    assert {"incidents", "false_bed_exit_per_resident_month", "exit_alerts"} <= report.keys()
    assert "exit alerts:" in ran.stderr and "false alarms:" in ran.stderr


def test_ordinary_nights_of_a_floor_raise_no_false_bed_exit():
    result = evaluate_institution(beds=8, days=2, seed=5, start=date(2026, 11, 1), incidents="none")
    scripted = {"call", "fall_in_room", "slow_heart_in_bed"}
    assert not scripted & result["incidents"].keys(), "no scripted incidents"
    assert result["exit_alerts"]["bed_exit"].get("true", 0) > 0, "nights have real bed exits"
    assert "bed_exit" not in result["false_alarms"]
    assert "not_back_in_bed" not in result["false_alarms"]
