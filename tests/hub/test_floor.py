"""A bed's state on the floor view, from the bed sensor's presence readings as the edge sends
them (real broker, the hub's ingest, a real SQLite store) and the resident's open alerts:
never "in bed" without a recent reading saying so."""

from __future__ import annotations

import json
import time

import pytest

from hub.floor import FRESH_S, BedFacts, bed_state
from tests.support.factories import (
    BED_CALL,
    event_message,
    served,
    settings_for,
    telemetry_message,
    ward_config,
)
from tests.support.mqtt import publish, until
from tests.support.ward_seed import INSTITUTION, seed_ward


async def beds(hub, unit: int) -> dict[str, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    floor = (await hub.http.get(f"/units/{unit}/floor")).json()
    return {f"{r['name']}-{b['name']}": (b["state"], b["problem"]) for r in floor["rooms"]
            for b in r["beds"]}  # fmt: skip


def event_of(kind: str, *, seq: int, home: str, device: str, severity: str) -> tuple[str, bytes]:
    topic, payload = event_message(kind, seq=seq, home=home, severity=severity,
                                   evidence={"device": device})  # fmt: skip
    return topic, json.dumps({**json.loads(payload), "device": device}).encode()


async def test_a_beds_state_follows_its_sensor_and_says_when_it_is_not_known(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        ward = await seed_ward(hub)
        # No reading yet: not known, even though she is surely asleep somewhere.
        assert (await beds(hub, ward.unit))["301-1"] == ("device_problem", "no_recent_reading")
        now = time.time()
        await publish(mosquitto, [
            telemetry_message(1, [(now, "bed", "presence", True)], home="r301a"),
            # The last word from 302-1's sensor is older than FRESH_S: not "in bed".
            telemetry_message(1, [(now - FRESH_S - 60, "bed", "presence", True)], home="r302a"),
        ])  # fmt: skip
        await until(lambda: hub.hub.ingestor.counts.readings >= 2)
        assert await beds(hub, ward.unit) == {
            "301-1": ("in_bed", None),
            "301-2": ("empty", None),
            "302-1": ("device_problem", "no_recent_reading"),
        }
        await publish(mosquitto, [telemetry_message(2, [(time.time(), "bed", "presence", False)],
                                                    home="r301a")])  # fmt: skip
        await until(lambda: hub.hub.ingestor.counts.readings >= 3)
        assert (await beds(hub, ward.unit))["301-1"] == ("out_of_bed", None)

        # Its sensor goes offline: an alert first, then (acknowledged) a device problem.
        await publish(mosquitto, [event_of("device_offline", seq=3, home="r301a", device="bed",
                                           severity="warning")])  # fmt: skip
        await until(lambda: hub.hub.ingestor.counts.events >= 1)
        assert (await beds(hub, ward.unit))["301-1"] == ("alert", None)
        (alert,) = (await hub.http.get("/alerts", params={"resident": "r301a"})).json()
        await hub.http.post(f"/alerts/{alert['id']}/acknowledge")
        assert (await beds(hub, ward.unit))["301-1"] == ("device_problem", "offline")

        # A bed whose config has no bed sensor is a device problem, not an empty bed.
        no_sensor = ward_config("r301b", INSTITUTION, "3F", "301", "2", devices=[BED_CALL])
        assert (await hub.http.put("/homes/r301b", json=no_sensor)).status_code == 200
        assert (await beds(hub, ward.unit))["301-2"] == ("device_problem", "no_bed_sensor")


@pytest.mark.parametrize(
    ("facts", "now", "expected"),
    [
        (BedFacts(False, True, False, True, 100.0, True), 100.0, ("empty", None)),
        (BedFacts(True, True, True, True, 100.0, True), 100.0, ("alert", None)),
        (BedFacts(True, True, True, True, 100.0, False), 100.0, ("device_problem", "offline")),
        (BedFacts(True, True, False, None, None, False), 100.0,
         ("device_problem", "no_recent_reading")),
        (BedFacts(True, True, False, True, 100.0, False), 100.0 + FRESH_S, ("in_bed", None)),
        (BedFacts(True, True, False, True, 100.0, False), 100.0 + FRESH_S + 1,
         ("device_problem", "no_recent_reading")),
        (BedFacts(True, True, False, False, 100.0, False), 160.0, ("out_of_bed", None)),
    ],
)  # fmt: skip
def test_a_beds_state_in_order_of_what_needs_a_person_first(facts, now, expected):
    assert bed_state(facts, now) == expected
