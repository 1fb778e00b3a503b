"""An edge's heartbeat applied to the store: its devices' liveness, read once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from hub.schema import Device, Home
from hub.store import Store
from tests.support.factories import HOME, PREFIX, make_home, make_ingestor, register_homes
from tests.support.stores import fresh_database


def test_a_heartbeats_last_seen_is_kept_as_iso_text_or_epoch_seconds(tmp_path):
    """Both forms pass the hub's check, so both reach the device page; one from the year
    9999 reaches neither."""
    store = Store(fresh_database(tmp_path))
    try:
        home = make_home()
        first, second, third = (device.id for device in home.devices[:3])
        register_homes(store, home)
        now = time.time()
        iso = datetime.fromtimestamp(now - 60, UTC).isoformat()
        devices = {
            first: {"last_seen": iso},
            second: {"last_seen": now - 120},
            third: {"last_seen": "9999-12-31T23:00:00+00:00"},
        }
        status = {"state": "online", "home": HOME, "edge": HOME, "devices": devices}
        ingestor = make_ingestor(store)
        ingestor.take([(f"{PREFIX}/{HOME}/status", json.dumps(status).encode())])
        with store.transaction() as session:
            seen = {d: session.get(Device, (HOME, d)).last_seen for d in (first, second, third)}
        assert seen[first] == pytest.approx(now - 60, abs=1e-3)
        assert seen[second] == pytest.approx(now - 120)
        assert seen[third] is None
        assert ingestor.counts.refused_status_values == 1
    finally:
        store.close()


def test_a_repeated_status_does_not_move_when_the_home_went_offline(tmp_path):
    """The broker hands the edge's retained will over again when the hub reconnects: the
    home has been offline since the first one, which is when home_offline counts from (and
    the spell a dispatcher closed by hand stays closed)."""
    store = Store(fresh_database(tmp_path))
    try:
        register_homes(store)
        ingestor = make_ingestor(store)

        def status(state: str) -> float | None:
            message = json.dumps({"state": state, "home": HOME, "edge": HOME}).encode()
            ingestor.take([(f"{PREFIX}/{HOME}/status", message)])
            with store.transaction() as session:
                return session.get(Home, HOME).status_at

        went_offline = status("offline")
        time.sleep(0.01)
        assert status("offline") == went_offline
        came_back = status("online")
        assert came_back > went_offline
        time.sleep(0.01)
        assert status("online") == came_back  # a heartbeat says it is still online
    finally:
        store.close()
