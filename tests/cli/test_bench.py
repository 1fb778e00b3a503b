"""`eldercare bench`: what a user reads in its JSON, from a small run on a real Mosquitto.

Only behaviour is checked (nothing lost, every alert seen, numbers that make sense), never
a speed: a busy CI machine must not fail these tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eldercare.bench.latency import percentile
from eldercare.bench.traffic import PREFIX, READINGS_PER_MESSAGE, backlog
from eldercare.cli import main


def test_a_quick_bench_loses_nothing_and_reports_one_row_per_home_count(tmp_path: Path, capsys):
    report_file = tmp_path / "bench.json"

    status = main(
        [
            "bench", "--quick", "--homes", "5,20", "--messages", "400", "--postgresql",
            "--json", str(report_file),
        ]
    )  # fmt: skip

    assert status == 0
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert [row["homes"] for row in report["rows"]] == [5, 20]
    for row in report["rows"]:
        ingest, alerts = row["ingest"], row["alerts"]
        # The same backlog reached both consumers, whole: a count, not a speed.
        assert ingest["messages"] == 400
        assert ingest["raw"]["received"] == 400
        assert ingest["readings"] == 400 * READINGS_PER_MESSAGE
        assert ingest["hub"]["readings_stored"] == ingest["readings"]
        assert ingest["hub"]["duplicates"] == 0 and ingest["hub"]["refused"] == 0
        assert ingest["raw"]["readings_per_s"] > 0 and ingest["hub"]["readings_per_s"] > 0
        assert ingest["hub_vs_raw"] > 0
        # The same backlog again, drained by a hub on PostgreSQL: whole too.
        on_postgresql = row["ingest_on_postgresql"]
        assert on_postgresql["hub"]["readings_stored"] == on_postgresql["readings"] == 4000
        assert on_postgresql["hub"]["duplicates"] == 0 and on_postgresql["hub_vs_raw"] > 0
        # Every event published came back as its alert on the WebSocket, after its publish.
        assert alerts["events_published"] == 20
        assert alerts["alerts_received"] == 20
        assert 0 < alerts["p50_ms"] <= alerts["p99_ms"] <= alerts["max_ms"]
        # The hub took all the background telemetry and the events, none left behind.
        assert alerts["hub_messages_taken"] == (
            alerts["background_telemetry_published"] + alerts["events_published"]
        )
        # The same again while 12 clients log in non-stop: every alert still arrives.
        flooded = row["alerts_login_flood"]
        assert flooded["events_published"] == flooded["alerts_received"] == 20
        assert flooded["login_flood"]["clients"] == 12
        assert flooded["login_flood"]["answers"].get("200", 0) > 0
        assert set(flooded["login_flood"]["answers"]) <= {"200", "503"}
    assert report["machine"]["cpus"] >= 1 and report["machine"]["python"]
    assert {goal["pass"] for goal in report["goals"]} <= {True, False, None}

    shown = capsys.readouterr().out
    header = next(line for line in shown.splitlines() if line.startswith("homes"))
    assert "raw msg/s" in header and "hub/raw %" in header and "p99 ms" in header
    assert "alert p99 <= 50 ms at 1,000 homes" in shown  # the goal line, even unmeasured
    assert "with 12 clients logging in non-stop" in shown and "flood p99 ms" in shown
    assert "on PostgreSQL at 20 homes: hub" in shown
    assert "{" not in shown  # with --json, the document goes to the file only


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 201)]
    assert percentile(values, 50) == 100.0
    assert percentile(values, 99) == 198.0
    assert percentile([], 99) is None


def test_the_traffic_is_what_an_edge_sends_and_the_hub_accepts_all_of_it():
    from hub.upstream import Telemetry, parse

    messages = backlog(PREFIX, homes=3, messages=7)

    assert [topic for topic, _ in messages[:4]] == [
        "eldercare/v1/h00000/telemetry",
        "eldercare/v1/h00001/telemetry",
        "eldercare/v1/h00002/telemetry",
        "eldercare/v1/h00000/telemetry",
    ]
    seqs = [(json.loads(p)["edge"], json.loads(p)["seq"]) for _, p in messages]
    assert len(set(seqs)) == len(seqs)  # no (edge, seq) twice: nothing is a duplicate
    for topic, payload in messages:
        parsed = parse(topic, payload, prefix=PREFIX)
        assert isinstance(parsed, Telemetry)
        assert len(parsed.readings) == READINGS_PER_MESSAGE and not parsed.refused


def test_the_hosted_edges_bench_runs_as_the_readme_says():
    # `python -m eldercare.bench.hosted` is the documented command; its full run pins CPUs
    # and takes minutes, so only its command line is checked here.
    shown = subprocess.run(
        [sys.executable, "-m", "eldercare.bench.hosted", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert shown.returncode == 0, shown.stderr
    assert "--homes" in shown.stdout and "--rate" in shown.stdout
