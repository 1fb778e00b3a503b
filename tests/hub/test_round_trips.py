"""What an event and a telemetry message cost a hub worker in round trips to PostgreSQL:
the design limits docs/hub-at-scale.md ("Hub workers on PostgreSQL") states (each
statement is a round trip to the server, on top of a transaction's BEGIN, COMMIT and the
pool's ping). A change that
adds a query per event to the path of every alert breaks these, and says which statements
it sent."""

from __future__ import annotations

import time

from sqlalchemy import select

from hub.ingest import Ingestor
from hub.registry import save_home
from hub.schema import Alert, Delivery, EscalationTimer, EventRow
from hub.store import Store
from tests.support.factories import (
    HOME,
    event_message,
    make_home,
    make_ingestor,
    register_homes,
    telemetry_message,
)
from tests.support.round_trips import Statements
from tests.support.stores import postgresql_database

# docs/hub-at-scale.md, "Hub workers on PostgreSQL": the documented budgets.
FALL_RAISED = 12  # statements of the transaction that raises a fall alert and queues its notices
FALL_CLEARED = 9
TELEMETRY_BATCH = 2  # a batch of telemetry of known homes, whatever its size


def _worker() -> tuple[Store, Ingestor]:
    store = Store(postgresql_database())
    register_homes(
        store, make_home(), make_home("h002"),
        station_name="颍州社区养老服务站", notify=["json://127.0.0.1:9/"],
    )  # fmt: skip
    return store, make_ingestor(store)


def test_a_fall_costs_a_worker_one_transaction_of_at_most_twelve_statements():
    store, ingestor = _worker()
    try:
        with Statements(store.engine) as raised:
            result = ingestor.take([event_message("fall", seq=1)])
        assert [update.change for update in result.alerts] == ["raised"]
        assert raised.transactions == 1 and raised.checkouts == 1
        assert len(raised.sent) <= FALL_RAISED, raised.listing()

        with Statements(store.engine) as cleared:
            result = ingestor.take([event_message("fall", "cleared", seq=2)])
        assert [update.change for update in result.alerts] == ["cleared"]
        assert len(cleared.sent) <= FALL_CLEARED, cleared.listing()

        # What those statements did: the alert, its events linked, the station told, the
        # next escalation step set (a fall stays on its path until someone acknowledges).
        with store.sessions() as session:
            alert = session.scalars(select(Alert)).one()
            assert (alert.kind, alert.active) == ("fall", False)
            linked = session.scalars(select(EventRow.alert_id).order_by(EventRow.id)).all()
            assert linked == [alert.id, alert.id]
            targets = session.scalars(select(Delivery.target)).all()
            assert targets == ["json://127.0.0.1:9/"]
            assert session.get(EscalationTimer, alert.id) is not None
    finally:
        store.close()


def test_a_telemetry_batch_costs_two_statements_whatever_its_size():
    store, ingestor = _worker()
    now = time.time()
    try:
        first = [
            telemetry_message(1, [(now, "band", "heart_rate", 70)], home=home)
            for home in (HOME, "h002")
        ]
        ingestor.take(first)  # the homes are known from here on
        batch = [
            telemetry_message(seq, [(now, "band", "heart_rate", 60 + seq)], home=home)
            for seq in range(2, 12)
            for home in (HOME, "h002")
        ]
        with Statements(store.engine) as sent:
            ingestor.take(batch)
        assert len(sent.sent) <= TELEMETRY_BATCH, sent.listing()
        assert ingestor.counts.readings == 22 and ingestor.counts.duplicates == 0
    finally:
        store.close()


def test_a_home_registered_while_the_worker_runs_is_taken_once_it_exists():
    """The worker remembers the homes it found (a home is never deleted), not the ones it
    did not: a home's telemetry refused before it is registered is taken after."""
    store, ingestor = _worker()
    now = time.time()
    try:
        early = telemetry_message(1, [(now, "band", "heart_rate", 70)], home="h003")
        ingestor.take([early])
        assert ingestor.counts.refused["unknown_home"] == 1
        with store.transaction() as session:
            save_home(session, make_home("h003"))
        ingestor.take([telemetry_message(2, [(now, "band", "heart_rate", 71)], home="h003")])
        assert ingestor.counts.readings == 1
        assert ingestor.counts.refused["unknown_home"] == 1
    finally:
        store.close()
