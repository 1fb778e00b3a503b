"""The `eldercare` command line of ARCHITECTURE.md."""

from __future__ import annotations

import subprocess
import sys


def eldercare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eldercare", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_command_of_the_architecture():
    shown = eldercare("--help")
    assert shown.returncode == 0
    for command in ("demo", "hub", "edge", "simulate", "replay", "eval", "bench"):
        assert f"    {command} " in shown.stdout
    assert "falls" in eldercare("eval", "--help").stdout


def test_unknown_arguments_are_usage_errors():
    result = eldercare("replay", "readings.jsonl")
    assert result.returncode == 2 and "--config" in result.stderr
