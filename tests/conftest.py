from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from eldercare.broker import Broker, start_broker
from tests.support.http_receiver import http_receiver  # noqa: F401 (a fixture for every test)
from tests.support.influx import influxdb  # noqa: F401 (a throwaway InfluxDB)

# argon2 at its lightest (hub.accounts.PasswordCost, read at the first hash): a deployment's
# 0.2 s of CPU per hash and per log-in was a good part of the suite's time. Hubs the tests
# start as processes inherit it. Tests about what a log-in costs ask for the real cost:
# production_password_cost.
LIGHT_PASSWORD_COST = {
    "ELDERCARE_ARGON2_TIME_COST": "1",
    "ELDERCARE_ARGON2_MEMORY_KIB": "256",
    "ELDERCARE_ARGON2_PARALLELISM": "1",
}
os.environ.update(LIGHT_PASSWORD_COST)


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


@pytest.fixture
def production_password_cost(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 at the cost a deployment pays, for this test's in-process hubs."""
    from hub import accounts

    for name in LIGHT_PASSWORD_COST:
        monkeypatch.delenv(name)
    accounts._hasher.cache_clear()
    accounts._dummy_hash.cache_clear()
    yield
    monkeypatch.undo()
    accounts._hasher.cache_clear()
    accounts._dummy_hash.cache_clear()
