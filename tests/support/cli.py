"""The `eldercare` command as a user runs it: a child process, its exit code and output."""

from __future__ import annotations

import subprocess
import sys


def eldercare(
    *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eldercare", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
    )
