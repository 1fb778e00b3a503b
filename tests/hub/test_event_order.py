"""A home's events in event order whatever order the hub handles them in (hub/event_order.py),
through the ingestor. Several workers on PostgreSQL may handle a home's events out of the
edge's order; one hub on SQLite takes them in that order, so the tests that hand them over
out of order are PostgreSQL's."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from hub.alerts import AlertManager
from hub.schema import Alert, Delivery, EventRow
from hub.store import Store
from tests.support.factories import PREFIX, event_message, make_ingestor, register_homes
from tests.support.stores import fresh_database, on_postgresql

OUT_OF_ORDER = pytest.mark.skipif(
    not on_postgresql(), reason="one hub on SQLite takes a home's events in the edge's order"
)


@pytest.fixture
def world(tmp_path):
    store = Store(fresh_database(tmp_path))
    manager = AlertManager(prefix=PREFIX)
    register_homes(store, notify=["json://127.0.0.1:9/station"])
    yield store, manager, make_ingestor(store, manager)
    store.close()


def alerts(store: Store) -> list[Alert]:
    with store.sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_fall_cleared_late_ends_though_a_later_no_activity_was_recorded_on_it(world):
    """Raised, cleared 100 s later, no_activity 200 s after the fall; the clear handled
    last (a second worker, or a broker that held it back)."""
    store, manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("no_activity", seq=3, ts=t0 + 200, severity="major")])
    ingestor.take([event_message("fall", "cleared", seq=2, ts=t0 + 100)])
    (fall,) = [alert for alert in alerts(store) if alert.kind == "fall"]
    assert not fall.active  # she got up: not "still on the floor"
    with store.sessions() as session:
        clear = session.scalars(select(EventRow).where(EventRow.state == "cleared")).one()
        assert clear.alert_id == fall.id

    with store.transaction() as session:
        manager.acknowledge(session, fall.id, "张丽")
    with store.sessions() as session:
        told = len(session.scalars(select(Delivery)).all())
    (again,) = ingestor.take([event_message("fall", seq=4, ts=t0 + 2000)]).alerts
    assert again.alert["state"] == "active_unacknowledged"  # she fell again: a new page
    with store.sessions() as session:
        assert len(session.scalars(select(Delivery)).all()) > told


@OUT_OF_ORDER
def test_no_activity_after_she_got_up_is_an_alert_of_its_own_though_she_fell_again_since(world):
    store, _manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("fall", "cleared", seq=2, ts=t0 + 100)])
    ingestor.take([event_message("fall", seq=4, ts=t0 + 2000)])
    ingestor.take([event_message("no_activity", seq=3, ts=t0 + 1000, severity="major")])
    assert [(alert.kind, alert.related) for alert in alerts(store)] == [
        ("fall", []),
        ("no_activity", []),
    ]


@OUT_OF_ORDER
def test_no_activity_while_she_was_down_joins_the_fall_though_handled_after_her_clear(world):
    store, _manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("fall", "cleared", seq=3, ts=t0 + 100)])
    ingestor.take([event_message("no_activity", seq=2, ts=t0 + 50, severity="major")])
    (fall,) = alerts(store)
    assert (fall.kind, fall.active, fall.related) == ("fall", False, ["no_activity"])


def test_no_activity_recorded_on_a_fall_before_its_older_clear_becomes_an_alert_of_its_own(world):
    """The fall, its no_activity 200 s later, and the fall's clear (100 s after it) handled
    last: she got up before the silence began, so the silence is not the fall's. Left on the
    fall's case, which now says she is up, it would be closed with it, unseen."""
    store, _manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("no_activity", seq=3, ts=t0 + 200, severity="major")])
    told = ingestor.take([event_message("fall", "cleared", seq=2, ts=t0 + 100)]).alerts
    assert [(a.kind, a.active, a.related) for a in alerts(store)] == [
        ("fall", False, []),
        ("no_activity", True, []),
    ]
    # The station's console is told of both (the live feed sends these updates).
    assert [(u.alert["kind"], u.alert["state"]) for u in told] == [
        ("fall", "cleared_unacknowledged"),
        ("no_activity", "active_unacknowledged"),
    ]
    with store.sessions() as session:
        silence = session.scalars(select(EventRow).where(EventRow.kind == "no_activity")).one()
        assert silence.alert_id == alerts(store)[1].id
    # Its own clear, when it comes, ends it.
    ingestor.take([event_message("no_activity", "cleared", seq=4, ts=t0 + 900)])
    assert [(a.kind, a.active) for a in alerts(store)] == [("fall", False), ("no_activity", False)]


def test_no_activity_while_she_was_down_stays_on_the_fall_when_its_clear_comes(world):
    store, _manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("no_activity", seq=2, ts=t0 + 50, severity="major")])
    ingestor.take([event_message("fall", "cleared", seq=3, ts=t0 + 100)])
    (fall,) = alerts(store)
    assert (fall.kind, fall.active, fall.related) == ("fall", False, ["no_activity"])


def test_a_re_homed_no_activity_stays_cleared_by_its_own_clear_handled_before(world):
    """Raised and made critical after she got up, and over at t0 + 900; the fall's clear
    (t0 + 100) handled last of all: the silence is its own alert, raised, updated and over,
    not turned on again by its update."""
    store, _manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("no_activity", seq=3, ts=t0 + 200, severity="major")])
    ingestor.take([event_message("no_activity", "updated", seq=4, ts=t0 + 400)])
    ingestor.take([event_message("no_activity", "cleared", seq=5, ts=t0 + 900)])
    ingestor.take([event_message("fall", "cleared", seq=2, ts=t0 + 100)])
    fall, silence = alerts(store)
    assert (fall.kind, fall.active, fall.related) == ("fall", False, [])
    assert (silence.kind, silence.active, silence.severity) == ("no_activity", False, "critical")


def test_a_silence_begun_while_she_was_down_stays_on_the_fall_though_updated_after(world):
    """no_activity while she was down (t0 + 50), its update after she got up (t0 + 300),
    the fall's clear (t0 + 100) handled last: the fall keeps what happened while she was
    down; the update is an alert of its own."""
    store, _manager, ingestor = world
    t0 = time.time() - 3000
    ingestor.take([event_message("fall", seq=1, ts=t0)])
    ingestor.take([event_message("no_activity", seq=2, ts=t0 + 50, severity="major")])
    ingestor.take([event_message("no_activity", "updated", seq=4, ts=t0 + 300)])
    ingestor.take([event_message("fall", "cleared", seq=3, ts=t0 + 100)])
    fall, silence = alerts(store)
    assert (fall.kind, fall.active, fall.related) == ("fall", False, ["no_activity"])
    assert (silence.kind, silence.active) == ("no_activity", True)
