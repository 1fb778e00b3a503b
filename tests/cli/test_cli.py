"""The `eldercare` command line of ARCHITECTURE.md."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from tests.support.cli import eldercare
from tests.support.factories import device, home_config

REPO = Path(__file__).resolve().parents[2]


def test_help_lists_every_command_of_the_architecture():
    shown = eldercare("--help")
    assert shown.returncode == 0
    for command in ("demo", "hub", "edge", "simulate", "replay", "eval", "bench"):
        assert f"    {command} " in shown.stdout
    assert "falls" in eldercare("eval", "--help").stdout


def test_unknown_arguments_are_usage_errors():
    result = eldercare("replay", "readings.jsonl")
    assert result.returncode == 2 and "--config" in result.stderr


def test_every_command_says_what_it_does_and_every_option_has_help():
    from eldercare.cli import COMMANDS, build_parser

    for name in COMMANDS:
        parser = build_parser(name)
        words = name.split()
        for word in words:  # down to the command's own parser
            parser = next(
                action.choices[word]
                for action in parser._actions
                if isinstance(action, argparse._SubParsersAction)
            )
        assert parser.description, f"`eldercare {name} --help` has no description"
        bare = [
            "/".join(action.option_strings) or action.dest
            for action in parser._actions
            if not action.help and action.dest != "help"
        ]
        assert not bare, f"`eldercare {name}`: options without help: {bare}"
    assert "ELDERCARE_ADMIN_PASSWORD" in eldercare("hub", "--help").stdout


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_database_that_is_not_a_url_or_in_a_missing_folder_is_one_line(tmp_path):
    hub = ("hub", "--broker", "mqtt://127.0.0.1:1", "--port", "1")
    said = one_line_error(eldercare(*hub, "--database", "notaurl"))
    assert "'notaurl' is not a database URL" in said
    missing = tmp_path / "no" / "such" / "folder"
    said = one_line_error(eldercare(*hub, "--database", f"sqlite:///{missing}/hub.db"))
    assert f"the folder {missing} does not exist" in said
    assert not (tmp_path / "no").exists()  # not created behind the operator's back


def test_a_device_model_not_in_the_catalog_is_refused_when_the_edge_starts(tmp_path):
    typo = device("radar_bath", "fall_radar", "bathroom", "zigbee2mqtt:radar1", "MIR-HE200-TX")
    config = tmp_path / "home.yaml"
    config.write_text(json.dumps(home_config(devices=[typo])))
    brokers = ("--local", "mqtt://127.0.0.1:1", "--uplink", "mqtt://127.0.0.1:1")
    edge = ("edge", "--config", str(config), "--data", str(tmp_path / "edge"), *brokers)
    said = one_line_error(eldercare(*edge))
    assert "radar_bath" in said and "no device model 'MIR-HE200-TX' in the catalog" in said
    assert "MIR-HE200-TY" in said  # the models it could have meant


def test_a_readings_file_with_no_usable_line_fails(tmp_path):
    config = tmp_path / "home.yaml"
    config.write_text(json.dumps(home_config()))
    garbage = tmp_path / "readings.jsonl"
    garbage.write_text('not json\n{"ts": "yesterday"}\n')
    result = eldercare("replay", str(garbage), "--config", str(config))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no reading of home" in result.stderr.splitlines()[-1]


def test_dev_without_a_command_prints_its_usage_only():
    result = subprocess.run(["bash", str(REPO / "dev")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "./dev test" in result.stdout and "set -euo" not in result.stdout
