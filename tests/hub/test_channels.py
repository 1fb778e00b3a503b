"""Whether the hub can reach people. The channel warnings `/health` carries (homes whose
family no alert can reach) cost the store the same few queries however many homes there
are: a load balancer polls `/health` every few seconds, and at 10,000 homes a query per home
kept a worker's health answer waiting past its callers' timeouts and its store's pool. A
contact target template that cannot be filled in costs its channel, never the alert."""

from __future__ import annotations

from sqlalchemy import select

from hub import channels
from hub.alerts import AlertManager
from hub.schema import Alert, AlertChange, Delivery, Rejected
from hub.store import Store
from tests.support.factories import (
    PREFIX,
    event_message,
    make_home,
    make_ingestor,
    register_homes,
)
from tests.support.round_trips import Statements
from tests.support.stores import fresh_database


def store_with_homes(tmp_path, homes: int) -> Store:
    store = Store.sqlite(tmp_path / f"hub-{homes}.db")
    every = (make_home(f"h{n:04d}") for n in range(homes))
    register_homes(store, *every, station_name="颍州社区养老服务站", notify=[])
    return store


def test_the_channel_warnings_cost_the_same_queries_for_3_homes_and_for_300(tmp_path):
    sent = []
    for homes in (3, 300):
        store = store_with_homes(tmp_path, homes)
        try:
            with Statements(store.engine) as counted, store.sessions() as session:
                found = channels.problems(session, {})
            assert sum(p.home is not None for p in found) == homes  # no family is reachable
            sent.append(len(counted.sent))
        finally:
            store.close()
    assert sent[0] == sent[1] <= 5, sent


def test_a_typo_in_a_contact_template_costs_the_sms_not_the_fall(tmp_path):
    """Settings refuse such a template at start (tests/hub/test_settings.py); one given to
    the manager some other way must not make ingest refuse every fall, nor stop the
    periodic escalation."""
    store = Store(fresh_database(tmp_path))
    clock = [1_000_000.0]
    manager = AlertManager(
        prefix=PREFIX,
        contact_targets={"sms": "json://127.0.0.1:9/sms?to={Phone}"},
        clock=lambda: clock[0],
    )
    try:
        register_homes(store, notify=["json://127.0.0.1:9/station"])
        taken = make_ingestor(store, manager).take([event_message("fall", seq=1)])
        assert taken.pending == [] and taken.store_error is None
        clock[0] += 300
        with store.transaction() as session:
            (escalated,) = manager.fire_due(session)
            assert escalated.alert["kind"] == "fall"
        with store.sessions() as session:
            assert session.scalars(select(Rejected)).all() == []
            assert session.scalars(select(Alert.kind)).all() == ["fall"]
            told = {(d.audience, d.target) for d in session.scalars(select(Delivery))}
            family = session.scalars(
                select(AlertChange.detail).where(AlertChange.action == "no_channel")
            ).all()
        assert told == {("station", "json://127.0.0.1:9/station")}
        assert family == [{"audience": "family"}]  # as if the family had no channel
    finally:
        store.close()
