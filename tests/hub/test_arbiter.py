"""The store as arbiter between hub workers, transaction against transaction on PostgreSQL:
what happens when two of them raise the same home's alert at once, or claim the same
message."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from hub import arbiter
from hub.alerts import AlertManager
from hub.schema import Alert, AlertChange, EventRow, Home, Received
from hub.store import Store
from tests.support.factories import HOME, event_row, register_homes
from tests.support.stores import postgresql_database


def _store() -> Store:
    store = Store(postgresql_database())
    register_homes(store, station_name="颍州社区养老服务站")
    return store


def _sos(seq: int) -> EventRow:
    return event_row("sos", seq=seq, ts=time.time(), evidence={"seq": seq})


def test_a_raise_refused_by_the_open_alert_index_updates_that_alert():
    """Two transactions raise the home's SOS without its lock (the unique index is the last
    guard): the second waits for the first, then updates the alert the first opened."""
    store = _store()
    manager = AlertManager()
    first_raised, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with store.transaction() as session:
            event = _sos(1)
            session.add(event)
            outcome["first"] = manager.on_event(session, session.get(Home, HOME), event)
            session.flush()
            first_raised.set()
            first_may_commit.wait(10)

    def second() -> None:
        first_raised.wait(10)
        with store.transaction() as session:
            event = _sos(2)
            session.add(event)
            outcome["second"] = manager.on_event(session, session.get(Home, HOME), event)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_raised.wait(10)
    time.sleep(0.5)  # the second is now waiting on the index entry of the first's alert
    first_may_commit.set()
    for thread in threads:
        thread.join(20)
    try:
        assert [u.change for u in outcome["first"]] == ["raised"]  # type: ignore[union-attr]
        assert [u.change for u in outcome["second"]] == ["updated"]  # type: ignore[union-attr]
        with store.sessions() as session:
            alerts = session.scalars(select(Alert)).all()
            assert len(alerts) == 1
            linked = session.scalars(select(EventRow.alert_id)).all()
            assert linked == [alerts[0].id, alerts[0].id]
            actions = session.scalars(select(AlertChange.action).order_by(AlertChange.id)).all()
            assert actions[0] == "raised" and "updated" in actions
    finally:
        store.close()


def test_a_message_claimed_by_two_transactions_is_handled_by_one():
    store = _store()
    key = (HOME, HOME, 7)
    claimed: dict[str, set] = {}
    first_claimed, first_may_commit = threading.Event(), threading.Event()

    def first() -> None:
        with store.transaction() as session:
            claimed["first"] = arbiter.claim_received(session, [key], time.time())
            first_claimed.set()
            first_may_commit.wait(10)

    def second() -> None:
        first_claimed.wait(10)
        with store.transaction() as session:
            claimed["second"] = arbiter.claim_received(session, [key], time.time())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_claimed.wait(10)
    time.sleep(0.5)
    first_may_commit.set()
    for thread in threads:
        thread.join(20)
    try:
        assert claimed == {"first": {key}, "second": set()}
        with store.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Received)) == 1
    finally:
        store.close()
