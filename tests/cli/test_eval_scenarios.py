"""`eldercare eval scenarios`: every detector over simulated homes with ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from eldercare.eval_scenarios import evaluate_scenarios


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
