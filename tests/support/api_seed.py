"""A hub store seeded as the API tests need it: two stations, a home each, every role, open
alerts (one with an accelerometer window), readings of today, and the odd values a store
with history may hold (times in year 9999 and year 1, NaN, infinities, huge numbers)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from eldercare.broker import Broker
from hub.schema import Alert, AlertChange, Device, EventRow, Home, ReadingRow
from tests.support.factories import (
    ADMIN_PASSWORD,
    DISPATCHER,
    FAMILY,
    PASSWORD,
    Served,
    event_message,
    home_config,
    register,
)
from tests.support.mqtt import publish, until

CAREGIVER = "wang.fang"
WINDOW = {
    "device": "band",
    "rate_hz": 50,
    "start": 1_764_000_000.0,
    "samples": [[0.0, 0.0, 1.0]] * 50,
}
YEAR_9999 = 253402300799.0  # 9999-12-31T23:59:59Z: year 10000 in Asia/Shanghai
YEAR_1 = -62135596800.0  # 0001-01-01T00:00:00Z
NAN = float("nan")
ODD_EVIDENCE = {
    "peak_g": NAN,
    "still_s": float("inf"),
    "floor": float("-inf"),
    "count": 2**70,
    "huge": 1e308,
    "values": [NAN, 1.0],
}


@dataclass(frozen=True)
class Seeded:
    """What the seed made: the ids a test addresses, own (st1 / h001) and other (st2 / h002)."""

    alerts: dict[str, int]  # home -> its fall's alert id
    odd_alert: int  # an alert of h001 whose times and evidence are odd


async def two_stations(
    hub: Served, mosquitto: Broker, *events: tuple[str, bytes]
) -> dict[str, int]:
    """Two stations with a home each (st1 / h001, st2 / h002), every role (a caregiver of
    st1 too), a fall with an accelerometer window in each home, then ``events``; each
    home's fall alert id."""
    await register(hub)
    await hub.http.put("/stations/st2", json={"name": "清河站"})
    await hub.http.put("/homes/h002", json=home_config("h002", station="st2"))
    caregiver = {"name": "王芳", "role": "caregiver", "stations": ["st1"]}
    await hub.http.put(f"/users/{CAREGIVER}", json={**caregiver, "password": PASSWORD})
    falls = [
        event_message("fall", seq=1, home="h001", window=WINDOW),
        event_message("fall", seq=1, home="h002", window=WINDOW),
    ]
    await publish(mosquitto, [*falls, *events])
    await until(lambda: hub.hub.ingestor.counts.events == len(falls) + len(events))
    alerts = (await hub.http.get("/alerts", params={"kind": "fall"})).json()
    return {alert["home"]: alert["id"] for alert in alerts}


async def seed(hub: Served, mosquitto: Broker) -> Seeded:
    await two_stations(hub, mosquitto, event_message("sos", seq=2, home="h001"))
    with hub.hub.store.transaction() as session:
        return _forge_odd_values(session)


def _forge_odd_values(session) -> Seeded:  # type: ignore[no-untyped-def]
    """What the ingest of an older hub may have let in, written straight to the store."""
    now = time.time()
    alerts = {a.home_id: a.id for a in session.scalars(select(Alert).where(Alert.kind == "fall"))}
    sos = session.scalars(select(Alert).where(Alert.kind == "sos")).one()
    sos.evidence = dict(ODD_EVIDENCE)
    sos.started, sos.cleared_at, sos.acknowledged_at = YEAR_9999, YEAR_1, 1e300
    session.add(AlertChange(alert_id=sos.id, at=YEAR_9999, actor="hub", action="odd", detail={}))
    for event in session.scalars(select(EventRow).where(EventRow.home_id == "h001")):
        if event.window is not None:
            event.window = {**WINDOW, "start": YEAR_9999, "rate_hz": NAN}
    session.get(Home, "h001").status_at = YEAR_9999
    session.get(Device, ("h001", "band")).last_seen = YEAR_9999
    session.get(Device, ("h001", "radar_bath")).last_seen = YEAR_1
    session.get(Device, ("h001", "sos_bed")).battery = float("inf")
    session.add_all(
        [
            ReadingRow(home_id="h001", device="band", metric="heart_rate", ts=now - 5, number=72),
            ReadingRow(home_id="h001", device="band", metric="heart_rate", ts=now - 4,
                       number=float("inf")),
            ReadingRow(home_id="h001", device="band", metric="steps", ts=now - 3,
                       number=float("inf")),
            ReadingRow(home_id="h001", device="band", metric="steps", ts=YEAR_9999, number=1),
            ReadingRow(home_id="h001", device="radar_bath", metric="presence", ts=now - 2,
                       number=1),
        ]
    )  # fmt: skip
    return Seeded(alerts=alerts, odd_alert=sos.id)


ACCOUNTS = {
    "admin": ("admin", ADMIN_PASSWORD),
    "dispatcher": (DISPATCHER, PASSWORD),
    "caregiver": (CAREGIVER, PASSWORD),
    "family": (FAMILY, PASSWORD),
}


def credentials_of(role: str) -> dict[str, str]:
    username, password = ACCOUNTS[role]
    return {"username": username, "password": password}


async def bearer_tokens(hub: Served) -> dict[str, str | None]:
    """A session token per role (anonymous has none)."""
    tokens: dict[str, str | None] = {"anonymous": None}
    async with httpx.AsyncClient(base_url=hub.url, timeout=30) as client:
        for role in ACCOUNTS:
            response = await client.post("/auth/login", json=credentials_of(role))
            response.raise_for_status()
            tokens[role] = response.json()["token"]
    return tokens
