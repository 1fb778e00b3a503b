"""The private broker the demo and the tests start goes with the process that started it,
even one killed outright (SIGKILL, the OOM killer), which cannot stop it itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from eldercare import broker as broker_module
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


def test_a_port_another_process_took_after_the_draw_is_drawn_again(tmp_path: Path, monkeypatch):
    """Two test workers may draw the same free port a moment apart: the second broker's
    bind then fails ("address already in use"). It draws again instead of failing."""
    with socket.socket() as squatter:  # bound, not yet listening: only the bind fails
        squatter.bind(("127.0.0.1", broker_module.free_port()))
        taken = squatter.getsockname()[1]
        draws = iter([taken])
        real = broker_module.free_port
        monkeypatch.setattr(broker_module, "free_port", lambda: next(draws, None) or real())
        broker = broker_module.start_broker(tmp_path / "broker", secured=False)
        try:
            assert broker.port != taken
        finally:
            broker.stop()
        # A port asked for is not changed behind the caller's back: the error says why.
        with pytest.raises(broker_module.PortTaken, match="Address already in use"):
            broker_module.start_broker(tmp_path / "given", taken, secured=False)
