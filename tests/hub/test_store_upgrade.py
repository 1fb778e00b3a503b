"""A store whose dedup ids were kept per edge keeps them when it is upgraded to ids per
home (migration 0003): a replayed outbox is still recognised after the upgrade."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text

from hub import migrate
from hub.schema import Received
from hub.store import Store
from tests.support.stores import fresh_database


def test_the_dedup_ids_of_a_store_before_0003_get_the_home_of_each_pair(tmp_path):
    url = fresh_database(tmp_path)
    engine = create_engine(url)
    try:
        migrate.upgrade(engine, "0002")
        with engine.begin() as db:
            db.execute(text("INSERT INTO received (edge, seq, at) VALUES ('h001', 1, 5.0)"))
            db.execute(text("INSERT INTO received (edge, seq, at) VALUES ('box-7', 7, 6.0)"))
            # A hosted process's edge: the event stored with the pair says its home.
            db.execute(
                text(
                    "INSERT INTO events (id, edge, seq, home_id, kind, state, severity, ts, "
                    "started, detector, evidence, received_at) VALUES (1, 'box-7', 7, 'h002', "
                    "'sos', 'raised', 'critical', 5, 5, 'sos', '{}', 6)"
                )
            )
        assert migrate.upgrade(engine) == ("0002", migrate.head())
    finally:
        engine.dispose()
    store = Store(url)
    with store.sessions() as session:
        rows = {(r.home, r.edge, r.seq, r.at) for r in session.scalars(select(Received))}
    assert rows == {("h001", "h001", 1, 5.0), ("h002", "box-7", 7, 6.0)}
