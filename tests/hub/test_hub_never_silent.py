"""One bad message, a full disk, a read-only database: the real `eldercare hub` process
against a real Mosquitto refuses what it cannot take, keeps what it cannot store yet
unacknowledged, says it is degraded, and loses no alert."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
from datetime import UTC, datetime

import pytest

from tests.support.factories import (
    ADMIN_PASSWORD,
    HOME,
    PREFIX,
    AsAdmin,
    event_message,
    hub_process,
    register,
)
from tests.support.hub_process import alert_kinds
from tests.support.mqtt import publish
from tests.support.stores import make_read_only, on_postgresql, query

YEAR_9999 = "9999-12-31T23:00:00+00:00"


def rows(hub, sql: str) -> list[tuple]:
    return query(hub.database_url, sql)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def telemetry(seq: int, *, ts: str | None = None, value: object = 72) -> tuple[str, bytes]:
    reading = {"ts": ts or now_iso(), "home": HOME, "device": "band", "metric": "heart_rate"}
    document = {"home": HOME, "edge": HOME, "seq": seq, "readings": [{**reading, "value": value}]}
    return f"{PREFIX}/{HOME}/telemetry", json.dumps(document).encode()


def poison() -> list[tuple[str, bytes]]:
    event_topic = f"{PREFIX}/{HOME}/event"
    _, fall = event_message("fall", seq=900)
    forged = {**json.loads(fall), "seq": 901, "ts": YEAR_9999, "started": YEAR_9999}
    status = {
        "state": "online",
        "home": HOME,
        "edge": HOME,
        "devices": {"band": {"last_seen": YEAR_9999, "battery": 80}},
    }
    return [
        (event_topic, b"[" * 2000 + b"]" * 2000),  # RecursionError in a plain parser
        (event_topic, b'{"edge": "h001", "seq": ' + b"9" * 400 + b"}"),  # OverflowError
        (event_topic, b'{"home": "h001", "kind": "\xff\xfe fall"}'),  # not UTF-8
        (event_topic, b'{"evidence": "' + b"x" * (5 * 1024 * 1024) + b'"}'),  # 5 MB
        (event_topic, json.dumps(forged).encode()),  # an event in year 9999
        (f"{PREFIX}/{HOME}/status", json.dumps(status).encode()),  # last_seen in year 9999
        telemetry(902, ts=YEAR_9999),  # a reading in year 9999
        telemetry(903, value=float("nan")),  # NaN as a heart rate
        telemetry(904, value=int("9" * 60)),  # a number of 60 digits
        # A real fall whose evidence holds a NaN: kept, the NaN as null.
        event_message("fall", seq=905, evidence={"source": "radar", "peak_g": float("nan")}),
    ]


async def test_poison_messages_are_refused_and_a_later_sos_becomes_an_alert(mosquitto, tmp_path):
    async with hub_process(mosquitto, tmp_path, ELDERCARE_CLIENT_ID="hub-poison") as hub:
        await hub.start()
        await register(AsAdmin(hub))
        await publish(mosquitto, poison())
        await publish(mosquitto, [event_message("sos", seq=1000)])

        async with asyncio.timeout(15):
            while "sos" not in await alert_kinds(hub):
                assert hub.process.poll() is None, hub.log_text()
                await asyncio.sleep(0.1)

        health = await hub.health()
        refused = health["ingest"]["refused"]
        assert refused == {"malformed_json": 3, "oversized": 1, "bad_time": 1}, health
        assert health["ingest"]["refused_readings"] == 3  # year 9999, NaN, 60 digits
        assert health["ingest"]["refused_status_values"] == 1  # the year-9999 last_seen
        assert health["state"] == "ok" and health["store_errors"] == 0
        kept = rows(hub, "SELECT problem, reason FROM rejected ORDER BY id")
        assert [problem for problem, _ in kept] == [
            *["malformed_json"] * 3,
            "oversized",
            "bad_time",
        ]
        assert "nested deeper than" in kept[0][1] and "400 characters" in kept[1][1]
        assert "impossible" in kept[4][1]
        # The fall with a NaN in its evidence is an alert; the NaN is null, in strict JSON.
        response = await hub.http.get("/alerts", params={"kind": "fall"})
        json.loads(response.text, parse_constant=lambda token: 1 / 0)
        (fall,) = response.json()
        assert fall["evidence"]["peak_g"] is None and fall["evidence"]["source"] == "radar"
        # The forged last_seen never reached the devices: the page still answers.
        devices = await hub.http.get(f"/homes/{HOME}/devices")
        assert devices.status_code == 200
        assert all(device["last_seen"] is None for device in devices.json())


async def survives_a_store_failure(hub, mosquitto, fail, recover) -> None:
    """Messages published while the store fails are not taken (and not acknowledged), the
    hub is degraded; after ``recover()`` every one of them is stored, by itself."""
    await hub.start()
    await register(AsAdmin(hub))
    fail()

    def waiting(health: dict) -> bool:
        return any("not acknowledged" in p["detail"] for p in health.get("problems", []))

    # Until the hub has met the failure (a pooled connection may still write for a moment).
    seq = 0
    async with asyncio.timeout(30):
        while not waiting(health := await hub.health()):
            seq += 1
            await publish(mosquitto, [telemetry(seq)])
            await asyncio.sleep(0.2)
    assert [problem["kind"] for problem in health["problems"]] == ["store"]
    taken = health["ingest"]["messages"]
    later = [telemetry(n) for n in range(seq + 1, seq + 501)] + [event_message("sos", seq=9999)]
    await publish(mosquitto, later)
    login = {"username": "admin", "password": ADMIN_PASSWORD}
    refused = await hub.http.post("/auth/login", json=login)
    assert refused.status_code == 503 and "store" in refused.json()["detail"]
    await asyncio.sleep(1)  # the hub keeps trying meanwhile: still nothing taken
    health = await hub.health()
    assert health["ingest"]["messages"] == taken and health["state"] == "degraded"

    recover()
    readings = seq + 500
    health = await hub.until_health(
        # The SOS came last: it may be committed in a batch after the last readings.
        lambda h: (
            h.get("state") == "ok"
            and h["ingest"]["readings"] == readings
            and h["ingest"]["events"] == 1
        ),
        "every message stored after the store works again",
    )
    assert health["store_errors"] > 0 and health["ingest"]["duplicates"] == 0
    assert rows(hub, "SELECT count(*) FROM readings") == [(readings,)]
    assert rows(hub, "SELECT kind FROM alerts") == [("sos",)]
    assert (await hub.http.post("/auth/login", json=login)).status_code == 200


@pytest.mark.skipif(
    on_postgresql(),
    reason="a full disk is a file size limit on the hub's process: PostgreSQL writes in its own",
)
async def test_a_full_disk_loses_nothing_and_the_hub_resumes_by_itself(mosquitto, tmp_path):
    async with hub_process(mosquitto, tmp_path, ELDERCARE_CLIENT_ID="hub-disk") as hub:

        def file_size_limit(soft: int) -> None:  # what a full disk looks like to SQLite
            resource.prlimit(hub.process.pid, resource.RLIMIT_FSIZE, (soft, resource.RLIM_INFINITY))

        await survives_a_store_failure(
            hub,
            mosquitto,
            fail=lambda: file_size_limit(1),
            recover=lambda: file_size_limit(resource.RLIM_INFINITY),
        )
        assert "hub degraded: store" in hub.log_text()


async def test_a_read_only_database_loses_nothing_and_the_hub_resumes_by_itself(
    mosquitto, tmp_path
):
    # The hub reopens its database connections every second, as it would after a while.
    async with hub_process(
        mosquitto, tmp_path, ELDERCARE_CLIENT_ID="hub-ro", ELDERCARE_STORE_RECYCLE_S="1"
    ) as hub:

        def mode(bits: int) -> None:
            if on_postgresql():  # a database made read-only by its administrator
                make_read_only(hub.database_url, read_only=bits == 0o444)
                return
            # The database first: SQLite creates its -wal and -shm files with the database's
            # mode, so one made between a listing and the database's chmod would stay 0444.
            (tmp_path / "hub.db").chmod(bits)
            for path in tmp_path.glob("hub.db-*"):
                with contextlib.suppress(FileNotFoundError):  # the hub closed its last one
                    path.chmod(bits)

        await survives_a_store_failure(
            hub, mosquitto, fail=lambda: mode(0o444), recover=lambda: mode(0o644)
        )
