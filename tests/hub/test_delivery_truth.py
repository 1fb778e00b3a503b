"""Deliveries tell the truth: an alert's history says what was sent, not what was meant.

With no channel configured for the family, the history records it once ("no_channel"), the
escalation names only who was really told, and the station's API and ``/health`` warn. A
channel that keeps failing pages the station through its other channels, and says so in the
alert's history and the station's warnings.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from hub.alerts import AlertManager
from hub.channels import FAILING_AFTER
from hub.schema import AlertChange, Delivery, Home
from hub.store import Store
from tests.support.factories import (
    HOME,
    STATION,
    event_message,
    event_row,
    register,
    register_homes,
    served,
    settings_for,
)
from tests.support.mqtt import publish, until


@pytest.fixture
def world(tmp_path):
    """A station with a channel, a home whose family has none (no contact URL templates)."""
    store = Store.sqlite(tmp_path / "hub.db")
    now = [1_000_000.0]
    manager = AlertManager(contact_targets={}, clock=lambda: now[0])
    register_homes(store, notify=["json://127.0.0.1:9/station"], now=now[0])
    yield store, manager, now
    store.close()


def raise_fall(store: Store, manager: AlertManager, now: float) -> int:
    with store.transaction() as session:
        row = event_row("fall", seq=1, ts=now)
        session.add(row)
        (update,) = manager.on_event(session, session.get(Home, HOME), row)
        return update.alert["id"]


def history(store: Store, alert_id: int) -> list[tuple[str, dict]]:
    with store.sessions() as session:
        rows = session.scalars(select(AlertChange).where(AlertChange.alert_id == alert_id))
        return [(row.action, row.detail) for row in rows]


def test_no_channel_for_the_family_is_recorded_once_and_escalation_names_only_who_was_told(
    world,
):
    store, manager, now = world
    alert_id = raise_fall(store, manager, now[0])
    for _ in range(3):  # three escalation rounds, every 5 minutes
        now[0] += 301
        with store.transaction() as session:
            manager.fire_due(session)

    story = history(store, alert_id)
    assert [detail for action, detail in story if action == "no_channel"] == [
        {"audience": "family"}
    ]
    escalations = [detail for action, detail in story if action == "escalated"]
    assert len(escalations) == 3
    assert all(d["notify"] == ["station"] and d["no_channel"] == ["family"] for d in escalations)
    with store.sessions() as session:
        audiences = {d.audience for d in session.scalars(select(Delivery))}
    assert audiences == {"station"}  # nothing pretends to have gone to the family


async def test_the_api_shows_what_was_sent_and_warns_of_missing_channels(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)  # no station channel, no family URL templates
        await publish(mosquitto, [event_message("sos", seq=1)])
        await until(lambda: hub.hub.ingestor.counts.events == 1, what="the SOS")
        (alert,) = (await hub.http.get("/alerts")).json()
        detail = (await hub.http.get(f"/alerts/{alert['id']}")).json()
        assert detail["delivered"] == {
            "station": {"sent": 0, "failed": 0, "pending": 0, "no_channel": True},
            "family": {"sent": 0, "failed": 0, "pending": 0, "no_channel": True},
        }
        station = (await hub.http.get(f"/stations/{STATION}")).json()
        assert {(p["kind"], p["audience"], p["home"]) for p in station["channel_problems"]} == {
            ("no_channel", "station", None),
            ("no_channel", "family", HOME),
        }
        users = {u["username"]: u for u in (await hub.http.get("/users")).json()}
        family_problems = users["li.ming"]["channel_problems"]
        assert [(p["kind"], p["home"]) for p in family_problems] == [("no_channel", HOME)]
        health = (await hub.http.get("/health")).json()
        assert health["state"] == "ok"  # the hub works; its alerts just reach only the pages
        assert [w["kind"] for w in health["warnings"]] == ["no_channel"]


async def test_a_channel_that_keeps_failing_pages_the_station(mosquitto, tmp_path, http_receiver):
    broken = "json://127.0.0.1:9/dingtalk"  # nothing listens on port 9: every attempt fails
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, notify=[broken, http_receiver.url("/wecom")])
        await publish(mosquitto, [event_message("fall", seq=1)])
        paged = await until(
            lambda: [r for r in http_receiver.requests if "通知失败" in str(r.body)],
            timeout=15,
            what="the page about the failing channel",
        )
        assert "json://127.0.0.1:9/dingtalk" in str(paged[0].body)
        (alert,) = (await hub.http.get("/alerts")).json()
        detail = (await hub.http.get(f"/alerts/{alert['id']}")).json()
        (failing,) = [c for c in detail["history"] if c["action"] == "channel_failing"]
        assert failing["detail"]["attempts"] == FAILING_AFTER and failing["detail"]["paged"] == 1
        station = (await hub.http.get(f"/stations/{STATION}")).json()
        problems = [p for p in station["channel_problems"] if p["kind"] == "channel_failing"]
        assert [(p["audience"], p["target"]) for p in problems] == [("station", broken)]
        health = (await hub.http.get("/health")).json()
        assert "channel_failing" in [w["kind"] for w in health["warnings"]]
        # Paged once, not at every later failure of the same delivery.
        await asyncio.sleep(1.0)
        assert len([r for r in http_receiver.requests if "通知失败" in str(r.body)]) == 1
