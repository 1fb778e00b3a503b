"""`eldercare replay`: recorded readings + home config -> events on stdout, in event time."""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path

import pytest

from contracts import read_jsonl, write_jsonl
from tests.support import cli

eldercare = functools.partial(cli.eldercare, timeout=300)  # simulating and replaying days


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """Four simulated days of one home with scripted incidents, as files."""
    folder = tmp_path_factory.mktemp("run")
    made = eldercare("simulate", "--homes", "1", "--days", "4", "--seed", "5", "--out", str(folder))
    assert made.returncode == 0, made.stderr
    truth = [json.loads(line) for line in (folder / "ground_truth.jsonl").read_text().splitlines()]
    return folder / "readings" / "h001.jsonl", folder / "homes" / "h001.yaml", truth


def events_of(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_replay_reports_the_scripted_incidents_with_the_contract_fields(recorded):
    readings, config, truth = recorded
    result = eldercare("replay", str(readings), "--config", str(config))
    assert result.returncode == 0, result.stderr
    events = events_of(result.stdout)
    assert events, "a recording with incidents must raise events"
    for event in events:
        assert {"ts", "home", "kind", "state", "severity", "evidence"} <= event.keys()
        assert event["state"] in ("raised", "updated", "cleared")
        assert event["ts"].endswith("+08:00")  # in the home's time zone
    stamps = [event["ts"] for event in events]
    assert stamps == sorted(stamps)
    raised = {event["kind"] for event in events if event["state"] == "raised"}
    assert {t["expected_alert"] for t in truth if t["expected_alert"] != "device_offline"} <= raised


def test_replay_is_deterministic_and_tolerates_input_a_few_seconds_out_of_order(recorded, tmp_path):
    readings, config, _ = recorded
    first = eldercare("replay", str(readings), "--config", str(config))
    # Shuffle each run of readings within 3-second buckets, as several devices would.
    rows = list(read_jsonl(readings))
    rng = random.Random(1)
    buckets: dict[int, list] = {}
    for row in rows:
        buckets.setdefault(int(row.epoch // 3), []).append(row)
    shuffled = []
    for key in sorted(buckets):
        bucket = buckets[key]
        rng.shuffle(bucket)
        shuffled.extend(bucket)
    assert shuffled != rows
    unsorted = tmp_path / "unsorted.jsonl"
    write_jsonl(shuffled, unsorted)
    second = eldercare("replay", str(unsorted), "--config", str(config))
    assert first.returncode == second.returncode == 0
    assert second.stdout == first.stdout


def test_bad_lines_are_counted_and_skipped_without_losing_the_rest(recorded, tmp_path):
    readings, config, _ = recorded
    lines = readings.read_text().splitlines()
    damaged = tmp_path / "damaged.jsonl"
    bad = [
        "{not json",
        '{"ts": 1, "home": "h001", "device": "band", "metric": "heart_rate", "value": 300}',
        '{"ts": 1, "home": "h001", "device": "band", "metric": "spo2", "value": NaN}',
    ]
    damaged.write_text("\n".join(lines[:100] + bad + lines[100:]) + "\n")
    result = eldercare("replay", str(damaged), "--config", str(config))
    assert result.returncode == 0
    assert "damaged.jsonl:101" in result.stderr and "3 bad line" in result.stderr
    clean = eldercare("replay", str(readings), "--config", str(config))
    assert result.stdout == clean.stdout


def test_readings_on_standard_input(recorded):
    readings, config, _ = recorded
    piped = eldercare("replay", "-", "--config", str(config), stdin=readings.read_text())
    from_file = eldercare("replay", str(readings), "--config", str(config))
    assert piped.returncode == 0 and piped.stdout == from_file.stdout


def test_unusable_config_or_file_is_a_clear_error(recorded, tmp_path):
    readings, _, _ = recorded
    broken = tmp_path / "home.yaml"
    broken.write_text("home: h001\nstation: st1\n")
    result = eldercare("replay", str(readings), "--config", str(broken))
    assert result.returncode == 2 and "resident" in result.stderr
    missing = eldercare("replay", str(tmp_path / "nope.jsonl"), "--config", str(readings))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
