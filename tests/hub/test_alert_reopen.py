"""Reopening a resolved case (hub/alert_actions.py): within a day, by a person's resolve
only, never beside a newer open alert of the same kind; recorded in the history with what it
undid; cleared if its edge cleared it while it was resolved (or, for the hub's own
home_offline, if the home is online again). On both stores."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.alerts import REOPEN_WITHIN_S, AlertError, AlertManager
from hub.schema import Alert, AlertChange, Delivery, EventRow, Home
from hub.store import Store
from tests.support.factories import HOME, event_row, register_homes
from tests.support.stores import fresh_database


@pytest.fixture
def world(tmp_path):
    store = Store(fresh_database(tmp_path))
    now = [1_000_000.0]
    manager = AlertManager(clock=lambda: now[0])
    register_homes(store, notify=["json://127.0.0.1:9/station"], now=now[0])
    seq = iter(range(1, 1000))

    def event(
        kind: str,
        state: str = "raised",
        severity: str = "critical",
        edge: str = HOME,
        evidence: dict | None = None,
    ) -> list:
        with store.transaction() as session:
            row = event_row(
                kind, state, seq=next(seq), ts=now[0], severity=severity,
                evidence=evidence or {"device": "band"}, edge=edge,
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


def history(store, alert_id: int) -> list[tuple[str, str, dict]]:
    with store.sessions() as session:
        changes = session.scalars(
            select(AlertChange).where(AlertChange.alert_id == alert_id).order_by(AlertChange.id)
        )
        return [(change.actor, change.action, change.detail) for change in changes]


def test_a_case_reopened_after_she_got_up_says_she_is_up(world):
    store, _manager, now, event, act = world
    (raised,) = event("fall")
    alert_id = raised.alert["id"]
    act("resolve", alert_id, "handled", "张丽")
    now[0] += 600
    assert event("fall", "cleared") == []  # she got up: no open case to clear
    cleared_at = now[0]
    now[0] += 3600

    update = act("reopen", alert_id, "张丽", "家属来电")
    assert update.alert["state"] == "cleared_unacknowledged"  # not "still on the floor"
    assert history(store, alert_id)[-2:] == [
        ("张丽", "reopened", {"outcome": "handled", "resolved_by": "张丽", "note": "家属来电"}),
        ("edge:h001", "cleared", {"while_resolved": True}),
    ]
    with store.sessions() as session:
        clear = session.scalars(select(EventRow).where(EventRow.state == "cleared")).one()
        assert clear.alert_id == alert_id  # the case's events say it too
        assert session.get(Alert, alert_id).cleared_at == cleared_at  # when she got up


def test_a_case_reopened_after_an_announced_absence_ended_it_says_she_is_away(world):
    store, _manager, now, event, act = world
    (raised,) = event("not_returned_home", severity="major")
    alert_id = raised.alert["id"]
    act("resolve", alert_id, "handled", "张丽")
    now[0] += 600
    away = {"summary": "announced away until 12-08 18:00", "away_until": "12-08 18:00"}
    assert event("not_returned_home", "cleared", severity="major", evidence=away) == []
    now[0] += 3600

    update = act("reopen", alert_id, "张丽")
    assert update.alert["state"] == "cleared_unacknowledged"
    assert update.alert["evidence"]["ended_by_absence"] == "12-08 18:00"  # away, not back
    assert history(store, alert_id)[-1] == (
        "edge:h001", "cleared", {"while_resolved": True, "away_until": "12-08 18:00"}
    )  # fmt: skip


def test_a_reopened_case_she_got_up_from_pages_again_when_she_falls_again(world):
    store, _manager, now, event, act = world
    (raised,) = event("fall")
    alert_id = raised.alert["id"]
    act("acknowledge", alert_id, "张丽")
    act("resolve", alert_id, "handled", "张丽")
    event("fall", "cleared")
    assert act("reopen", alert_id, "张丽").alert["state"] == "cleared_acknowledged"
    with store.sessions() as session:
        told = session.scalars(select(Delivery)).all()
    now[0] += 6 * 3600

    (again,) = event("fall")  # she fell again: the acknowledgement was for the first fall
    assert again.alert["id"] == alert_id
    assert again.alert["state"] == "active_unacknowledged"
    with store.sessions() as session:
        assert len(session.scalars(select(Delivery)).all()) > len(told)


def test_a_reopened_case_stays_active_without_a_clear_from_the_edge_that_raised_it(world):
    _store, _manager, now, event, act = world
    (raised,) = event("fall")
    alert_id = raised.alert["id"]
    act("resolve", alert_id, "handled", "张丽")
    now[0] += 60
    event("fall", "cleared", edge="h001-box2")  # another box of the home cannot clear it
    assert act("reopen", alert_id, "张丽").alert["state"] == "active_unacknowledged"

    act("resolve", alert_id, "handled", "张丽")
    now[0] += 60
    event("fall", "cleared")
    now[0] += 60
    (second,) = event("fall")  # down again after the clear: a case of its own, resolved too
    act("resolve", second.alert["id"], "false_alarm", "张丽")
    # Her edge's newest word is a fall, not the clear before it.
    assert act("reopen", alert_id, "张丽").alert["state"] == "active_unacknowledged"


def home_offline_resolved_then_back_online(store, manager, now, act) -> tuple[int, float]:
    """A home_offline case acknowledged and resolved by hand; an hour later the home's
    gateway comes back (no open case for the hub to clear). Its id, and when it came back."""
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", now[0]
    now[0] += manager.home_offline_after_s + 1
    with store.transaction() as session:
        (raised,) = manager.homes_offline(session)
    alert_id = raised.alert["id"]
    act("acknowledge", alert_id, "张丽")
    act("resolve", alert_id, "handled", "张丽", "家属说路由器拔了")
    now[0] += 3600
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "online", now[0]
        assert manager.home_online(session, home) == []
    return alert_id, now[0]


def test_a_home_offline_case_reopened_after_the_home_came_back_says_it_is_online(world):
    store, manager, now, _event, act = world
    alert_id, back_at = home_offline_resolved_then_back_online(store, manager, now, act)
    now[0] += 600

    update = act("reopen", alert_id, "张丽", "结果选错了")
    assert update.alert["state"] == "cleared_acknowledged"  # not "the home is offline"
    assert history(store, alert_id)[-2:] == [
        ("张丽", "reopened", {"outcome": "handled", "resolved_by": "张丽", "note": "结果选错了"}),
        ("hub", "cleared", {"while_resolved": True}),
    ]
    with store.sessions() as session:
        assert session.get(Alert, alert_id).cleared_at == back_at  # when the home came back
    # The gateway's next heartbeat leaves it to the dispatcher who reopened it.
    with store.transaction() as session:
        assert manager.home_online(session, session.get(Home, HOME)) == []
    assert act("resolve", alert_id, "other", "张丽").alert["outcome"] == "other"


def test_a_reopened_home_offline_case_pages_again_when_the_home_goes_offline_again(world):
    store, manager, now, _event, act = world
    alert_id, _back_at = home_offline_resolved_then_back_online(store, manager, now, act)
    act("reopen", alert_id, "张丽")
    now[0] += 3600
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", now[0]
        told = len(session.scalars(select(Delivery)).all())
    now[0] += manager.home_offline_after_s + 1

    with store.transaction() as session:
        (again,) = manager.homes_offline(session)
    # The same case, active again; the acknowledgement was for the spell before.
    assert again.alert["id"] == alert_id
    assert again.alert["state"] == "active_unacknowledged"
    with store.sessions() as session:
        assert len(session.scalars(select(Delivery)).all()) > told
    with store.transaction() as session:  # back again: the hub closes it, as any spell
        (back,) = manager.home_online(session, session.get(Home, HOME))
    assert (back.change, back.alert["outcome"]) == ("resolved", "recovered")
