"""The private broker the demo and the tests start goes with the process that started it,
even one killed outright (SIGKILL, the OOM killer), which cannot stop it itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.support.demo_process import alive

STARTER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from eldercare.broker import start_broker
    broker = start_broker(Path(sys.argv[1]))
    print(broker.process.pid, flush=True)
    time.sleep(120)
    """
)


def test_a_broker_dies_with_the_process_that_started_it_even_when_that_is_killed(
    tmp_path: Path,
):
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path / "broker")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    broker_pid = int(starter.stdout.readline())
    try:
        assert alive(broker_pid)
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait()
        deadline = time.monotonic() + 10
        while alive(broker_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(broker_pid), "the broker outlived the process that started it"
    finally:
        starter.kill()
        starter.wait()
        if alive(broker_pid):  # not left running when this fails
            os.kill(broker_pid, signal.SIGKILL)
