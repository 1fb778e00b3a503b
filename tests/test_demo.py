"""The README's demo command: a newcomer sees scripted incidents become alerts."""

from __future__ import annotations

import subprocess
import sys


def test_demo_shows_scripted_incidents_as_alerts():
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "eldercare",
            "demo",
            "--homes",
            "2",
            "--speed",
            "3000",
            "--days",
            "0.3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert any("h001" in line and "sos raised (critical)" in line for line in lines)
    assert any("h002" in line and "fall raised (critical)" in line for line in lines)
    # The resident who fell did not get up: her fall must still be open at the end.
    assert not any("h002" in line and "fall cleared" in line for line in lines)
    assert "messages" in lines[-2] and "refused" not in shown.stdout
