"""What the hub keeps is bounded: junk costs a capped ``rejected`` table, and every table
that grows has a retention that deletes what is older."""

from __future__ import annotations

import asyncio
import time

import aiomqtt
from sqlalchemy import func, select

from hub.retention import DAY_S, sweep
from hub.schema import (
    Alert,
    AlertChange,
    Delivery,
    EventRow,
    Home,
    LoginSession,
    OutgoingMessage,
    ReadingRow,
    Received,
    Rejected,
    Station,
    User,
)
from hub.settings import HubSettings
from hub.store import Store
from tests.support.factories import HOME, PREFIX, event_row, register, served, settings_for
from tests.support.mqtt import until
from tests.support.stores import fresh_database, size_of

JUNK = 20_000


async def test_twenty_thousand_junk_messages_keep_a_bounded_rejected_table(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, rejected_max=500)
    async with served(settings) as hub:
        await register(hub)
        async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.home_url(HOME))) as client:
            for start in range(0, JUNK, 500):
                await asyncio.gather(
                    *(
                        client.publish(f"{PREFIX}/{HOME}/event", b"{not json " + b"x" * 1500, qos=1)
                        for _ in range(start, start + 500)
                    )
                )
        counts = hub.hub.ingestor.counts
        await until(lambda: counts.refused["malformed_json"] == JUNK, timeout=60, what="all junk")
        with hub.hub.store.sessions() as session:
            kept = session.scalar(select(func.count()).select_from(Rejected))
            longest = session.scalar(select(func.max(func.length(Rejected.payload))))
        assert kept == 500 and longest <= 1024
        size = size_of(settings.database, "rejected")
        assert size < 8 * 1024 * 1024, f"{size} bytes for {JUNK} junk messages"
        health = (await hub.http.get("/health")).json()
        assert health["ingest"]["refused"]["malformed_json"] == JUNK  # all counted


def test_retention_deletes_what_is_older_than_its_setting_and_nothing_pending(tmp_path):
    store = Store(fresh_database(tmp_path))
    now = time.time()
    old, recent = now - 40 * DAY_S, now - 1 * DAY_S
    settings = HubSettings(
        retention_received_days=30,
        retention_rejected_days=30,
        retention_events_days=30,
        retention_deliveries_days=30,
        retention_outgoing_days=30,
        retention_sessions_days=1,
        retention_alerts_days=30,
        retention_readings_days=30,
        retention_chunk=3,  # several chunks per table
    )
    try:
        with store.transaction() as session:
            session.add(Station(id="st1", name="站", notify=[]))
            session.flush()
            session.add(
                Home(
                    id=HOME, station_id="st1", config={}, resident_name="王", timezone="UTC",
                    updated_at=now,
                )
            )  # fmt: skip
            session.add(
                User(username="u", name="u", role="admin", password_hash="x", created_at=now)
            )
            session.flush()
            for at, label in ((old, "old"), (recent, "recent")):
                for n in range(5):
                    session.add(Received(home=HOME, edge=label, seq=n, at=at))
                    session.add(
                        Rejected(at=at, topic="t", problem="invalid", reason=label, payload=b"")
                    )
                    session.add(
                        OutgoingMessage(topic=label, payload=b"", created_at=at, sent_at=at)
                    )
                    for metric in ("heart_rate", "steps"):
                        reading = ReadingRow(
                            home_id=HOME, device="band", metric=metric, ts=at + n, number=n
                        )
                        session.add(reading)
                session.add(
                    LoginSession(
                        token_hash=f"{label}-expired", username="u", created_at=at, expires_at=at
                    )
                )
            session.add(OutgoingMessage(topic="unsent", payload=b"", created_at=old, sent_at=None))
            session.add(
                LoginSession(
                    token_hash="live", username="u", created_at=old, expires_at=now + DAY_S
                )
            )
            session.flush()
            resolved = _alert(session, now, resolved_at=old, kind="fall")
            open_alert = _alert(session, now, resolved_at=None, kind="sos")
            for alert in (resolved, open_alert):
                session.add(_event(alert.id, old))
                session.add(AlertChange(alert_id=alert.id, at=old, actor="hub", action="raised"))
                session.add(_delivery(alert.id, old, "sent"))
            session.add(_delivery(open_alert.id, old, "pending"))
            session.add(_event(None, old))
            session.add(_event(None, recent))
        deleted = sweep(store, settings, now, pause=lambda: None)
        assert deleted == {
            "received": 5, "rejected": 5, "events": 2, "deliveries": 2, "mqtt_outbox": 5,
            "login_sessions": 1, "read_audit": 0, "login_failures": 0, "alerts": 1,
            "readings": 10,
        }  # fmt: skip
        with store.sessions() as session:
            assert {r.edge for r in session.scalars(select(Received))} == {"recent"}
            kept = session.scalars(select(ReadingRow)).all()
            assert len(kept) == 10 and min(r.ts for r in kept) >= recent
            assert {r.reason for r in session.scalars(select(Rejected))} == {"recent"}
            assert {m.topic for m in session.scalars(select(OutgoingMessage))} == {
                "recent",
                "unsent",
            }
            assert {s.token_hash for s in session.scalars(select(LoginSession))} == {
                "recent-expired", "live"
            }  # fmt: skip
            # The open alert keeps its events, history and deliveries, whatever their age.
            assert [a.kind for a in session.scalars(select(Alert))] == ["sos"]
            events = session.scalars(select(EventRow)).all()
            assert {(e.alert_id, e.received_at) for e in events} == {
                (open_alert.id, old),
                (None, recent),
            }
            # Old notifications go once sent, whichever alert they were for; never pending ones.
            assert [d.state for d in session.scalars(select(Delivery))] == ["pending"]
            assert {c.alert_id for c in session.scalars(select(AlertChange))} == {open_alert.id}
    finally:
        store.close()


def _alert(session, now: float, *, resolved_at: float | None, kind: str) -> Alert:
    alert = Alert(
        home_id=HOME, station_id="st1", kind=kind, severity="critical", started=now,
        raised_at=now, updated_at=now, resolved_at=resolved_at, detector=kind, evidence={},
    )  # fmt: skip
    session.add(alert)
    session.flush()
    return alert


def _event(alert_id: int | None, at: float) -> EventRow:
    return event_row("fall", seq=int(at), ts=at, alert_id=alert_id)


def _delivery(alert_id: int, at: float, state: str) -> Delivery:
    return Delivery(
        alert_id=alert_id, audience="station", target="json://x", title="t", body="b",
        state=state, next_at=at, created_at=at,
    )  # fmt: skip
