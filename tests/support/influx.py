"""A throwaway InfluxDB for the tests: Debian's ``influxd`` (1.6.7, the 1.x API) on free
ports in a temporary folder (:mod:`eldercare.influx_server`), one per test, so xdist's
workers never meet. The fixture ``influxdb`` gives a started server with the database
``eldercare``; a test may stop and start it again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from eldercare.influx_server import DATABASE, InfluxServer

__all__ = ["DATABASE", "InfluxServer", "influxdb"]


@pytest.fixture
def influxdb() -> Iterator[InfluxServer]:
    """A fresh InfluxDB 1.x on free ports with an empty database ``eldercare``."""
    # Not under pytest's tmp_path: as root that is private to root, and influxd runs as
    # the influxdb user.
    folder = Path(tempfile.mkdtemp(prefix="eldercare-influx-"))
    server = InfluxServer(folder)
    try:
        server.start()
        server.influxql(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
