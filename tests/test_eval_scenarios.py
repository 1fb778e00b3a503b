"""`eldercare eval scenarios`: every detector over simulated homes with ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from eldercare.eval_scenarios import evaluate_scenarios


def test_every_scripted_incident_of_a_simulated_fortnight_is_detected_without_false_alarms():
    result = evaluate_scenarios(homes=1, days=14, seed=4, start=date(2026, 11, 1))
    assert result["scripted"] >= 4, "the default schedule scripts several incidents"
    assert result["missed"] == []
    assert result["detected"] == result["scripted"]
    assert result["false_alarms"] == {}
    for row in result["incidents"].values():
        assert row["detection_rate"] == 1.0 and row["median_delay_s"] is not None


def test_ordinary_life_raises_no_alert():
    result = evaluate_scenarios(homes=2, days=7, seed=9, start=date(2026, 11, 1), incidents="none")
    assert result["scripted"] == 0
    assert result["false_alarms_total"] == 0, result["false_alarm_examples"]


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
