"""eldercare simulate --institution: a care-home floor to files, and live to a real
Mosquitto, decoded as an edge would."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from contracts.home import HomeConfig
from contracts.reading import read_jsonl
from eldercare import simulate as command
from simulators.floor import make_floor_configs
from tests.cli.test_simulate_command import Edge, _assert_decoded_as_simulated, _parse, _subscribed


def test_a_floor_to_files(tmp_path, capsys):
    argv = ["--institution", "--beds", "4", "--days", "1", "--seed", "2", "--out", str(tmp_path)]
    assert command.run(_parse(argv)) == 0
    assert "4 beds x 1 days" in capsys.readouterr().err
    run = json.loads((tmp_path / "run.json").read_text())
    assert len(run["homes"]) == 4
    for home in run["homes"]:
        config = HomeConfig.load(tmp_path / "homes" / f"{home}.yaml")
        assert config.place is not None and config.place.unit == "3F"
        readings = list(read_jsonl(tmp_path / "readings" / f"{home}.jsonl"))
        assert len(readings) == run["counts"]["readings_per_home"][home] > 0
        assert {r.device for r in readings} == {"bed_sensor", "call_bed", "radar_bath", "unit_door"}
    truth = [
        json.loads(line) for line in (tmp_path / "ground_truth.jsonl").read_text().splitlines()
    ]
    assert len(truth) == run["counts"]["incidents"]
    assert {t["expected_alert"] for t in truth} <= {
        "bed_exit", "not_back_in_bed", "left_unit_at_night", "fall", "call",
        "abnormal_heart_rate", "device_offline",
    }  # fmt: skip


def test_the_defaults_are_a_floor_of_twenty_beds():
    args = _parse(["--institution", "--out", "x"])
    assert args.institution and args.beds == 20


async def test_a_floor_published_live_decodes_to_its_own_readings(mosquitto):
    argv = ["--institution", "--beds", "2", "--days", "0.05", "--seed", "3",
            "--broker", mosquitto.devices_url, "--speed", "max"]  # fmt: skip
    edge = Edge(make_floor_configs(2, 3))
    client = await _subscribed(mosquitto)
    try:
        assert await asyncio.to_thread(command.run, _parse(argv)) == 0
        await edge.listen(client, until=0.5)
    finally:
        await client.__aexit__(None, None, None)
    args = _parse([*argv[:7], "--out", "unused"])
    expected = [r for _, sim in command._simulations(args) for r in sim.readings()]
    assert expected, "an hour of a floor has readings"
    assert edge.problems == Counter()
    _assert_decoded_as_simulated(edge.readings, expected, edge.homes)
