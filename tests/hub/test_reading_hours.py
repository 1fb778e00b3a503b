"""Hourly aggregates add up across batches, in SQLite and in PostgreSQL
(``ELDERCARE_TEST_STORE=postgresql``): the database's own upsert, NULLs (doors) included."""

from __future__ import annotations

from hub.reading_hours import add_hours, hours
from hub.store import Store
from tests.support.stores import fresh_database


def test_batches_of_one_hour_add_up_whichever_comes_first(tmp_path):
    store = Store(fresh_database(tmp_path))
    batches = [
        [("h1", "door", "contact", 7200.0, None, "open")],  # an hour with a count only, first
        [("h1", "band", "heart_rate", 7210.0, 80.0, None),
         ("h1", "band", "heart_rate", 7300.0, 60.0, None),
         ("h1", "door", "contact", 7400.0, None, "closed")],
        [("h1", "band", "heart_rate", 7500.0, 95.5, None),
         ("h1", "band", "heart_rate", 10_900.0, 70.0, None),
         ("h2", "band", "heart_rate", 7500.0, 50.0, None)],
    ]  # fmt: skip
    try:
        for batch in batches:
            with store.transaction() as session:
                add_hours(session, batch)
        with store.sessions() as session:
            heart = hours(session, "h1", ["heart_rate"], 7200.0, 14_400.0)
            doors = hours(session, "h1", ["contact"], 7200.0, 14_400.0)
            both = hours(session, "h1", ["heart_rate", "contact"], 7200.0, 10_800.0)
    finally:
        store.close()
    assert heart == [(7200, 3, 60.0, 95.5, 235.5), (10_800, 1, 70.0, 70.0, 70.0)]
    assert doors == [(7200, 2, None, None, None)]
    assert both == [(7200, 5, 60.0, 95.5, 235.5)]
