from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eldercare.broker import Broker, start_broker
from tests.support.http_receiver import http_receiver  # noqa: F401 (a fixture for every test)
from tests.support.influx import influxdb  # noqa: F401 (a throwaway InfluxDB)

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    """A fresh Mosquitto as the hub's broker: accounts and ACLs on (eldercare.broker)."""
    broker = start_broker(tmp_path / "mosquitto")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def brokers(tmp_path: Path) -> Iterator[tuple[Broker, Broker]]:
    """Two Mosquittos: a home's local broker (anonymous on loopback, as
    deploy/mosquitto/home.conf) and the hub's uplink (accounts and ACLs)."""
    local = start_broker(tmp_path / "local", secured=False)
    uplink = start_broker(tmp_path / "uplink")
    try:
        yield local, uplink
    finally:
        local.stop()
        uplink.stop()
