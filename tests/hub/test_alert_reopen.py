"""Reopening a resolved case (hub/alert_actions.py): within a day, by a person's resolve
only, never beside a newer open alert of the same kind; recorded in the history with what it
undid."""

from __future__ import annotations

import pytest

from hub.alerts import REOPEN_WITHIN_S, AlertError, AlertManager
from hub.registry import save_home, save_station
from hub.schema import AlertChange, EventRow, Home
from hub.store import Store
from tests.support.factories import HOME, STATION, make_home


@pytest.fixture
def world(tmp_path):
    store = Store.sqlite(tmp_path / "hub.db")
    now = [1_000_000.0]
    manager = AlertManager(clock=lambda: now[0])
    with store.transaction() as session:
        save_station(session, STATION, name="站")
        save_home(session, make_home(), now=now[0])
    seq = iter(range(1, 1000))

    def event(kind: str, state: str = "raised", severity: str = "critical") -> list:
        with store.transaction() as session:
            row = EventRow(
                edge=HOME, seq=next(seq), home_id=HOME, kind=kind, state=state,
                severity=severity, ts=now[0], started=now[0], detector=kind, device=None,
                evidence={"device": "band"}, received_at=now[0],
            )  # fmt: skip
            session.add(row)
            return manager.on_event(session, session.get(Home, HOME), row)

    def act(method: str, *args):
        with store.transaction() as session:
            return getattr(manager, method)(session, *args)

    yield store, manager, now, event, act
    store.close()


def test_a_case_reopened_within_a_day_is_open_again_and_says_what_it_undid(world):
    store, _manager, now, event, act = world
    (raised,) = event("fall")
    alert_id = raised.alert["id"]
    act("acknowledge", alert_id, "张丽")
    act("resolve", alert_id, "false_alarm", "张丽")
    now[0] += REOPEN_WITHIN_S - 60  # the son calls back in the evening

    update = act("reopen", alert_id, "张丽", "家属来电：确实摔倒了")
    assert update.change == "reopened"
    assert update.alert["state"] == "active_acknowledged"  # as before the resolve
    assert update.alert["outcome"] is None and update.alert["resolved_at"] is None
    with store.sessions() as session:
        (change,) = session.query(AlertChange).filter_by(alert_id=alert_id, action="reopened")
        assert change.actor == "张丽"
        assert change.detail == {
            "outcome": "false_alarm", "resolved_by": "张丽", "note": "家属来电：确实摔倒了"
        }  # fmt: skip
    # Open again: it can be resolved again, with the right outcome this time.
    assert act("resolve", alert_id, "hospital", "张丽").alert["outcome"] == "hospital"


def test_too_late_after_a_day(world):
    _store, _manager, now, event, act = world
    (raised,) = event("fall")
    act("resolve", raised.alert["id"], "handled", "张丽")
    now[0] += REOPEN_WITHIN_S + 1
    with pytest.raises(AlertError, match="too late"):
        act("reopen", raised.alert["id"], "张丽")


def test_only_a_resolved_case_and_only_one_a_person_resolved(world):
    _store, _manager, _now, event, act = world
    (raised,) = event("fall")
    with pytest.raises(AlertError, match="not resolved"):
        act("reopen", raised.alert["id"], "张丽")
    (offline,) = event("device_offline", severity="warning")
    (recovered,) = event("device_offline", state="cleared", severity="warning")
    assert recovered.change == "resolved"  # the device came back: the hub closed it
    with pytest.raises(AlertError, match="resolved by the hub"):
        act("reopen", offline.alert["id"], "张丽")


def test_not_beside_a_newer_open_alert_of_the_same_kind(world):
    _store, _manager, _now, event, act = world
    (first,) = event("fall")
    act("resolve", first.alert["id"], "handled", "张丽")
    (second,) = event("fall")  # she fell again: a new case
    assert second.alert["id"] != first.alert["id"]
    with pytest.raises(AlertError, match=f"alert {second.alert['id']}"):
        act("reopen", first.alert["id"], "张丽")
