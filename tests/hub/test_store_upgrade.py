"""A store made before dedup was keyed by home keeps its dedup ids when the hub upgrades:
a replayed outbox is still recognised after the upgrade."""

from __future__ import annotations

import contextlib
import sqlite3

from sqlalchemy import select

from hub.schema import Received
from hub.store import Store


def test_an_old_received_table_gets_the_home_of_each_pair(tmp_path):
    path = tmp_path / "hub.db"
    Store.sqlite(path).engine.dispose()
    with contextlib.closing(sqlite3.connect(path)) as db:  # as an earlier version made it
        db.execute("DROP TABLE received")
        db.execute("CREATE TABLE received (edge VARCHAR(64), seq INTEGER, at FLOAT, "
                   "PRIMARY KEY (edge, seq))")  # fmt: skip
        db.executemany(
            "INSERT INTO received VALUES (?, ?, ?)", [("h001", 1, 5.0), ("h002", 7, 6.0)]
        )
        db.commit()
    store = Store.sqlite(path)
    with store.sessions() as session:
        rows = {(r.home, r.edge, r.seq, r.at) for r in session.scalars(select(Received))}
    assert rows == {("h001", "h001", 1, 5.0), ("h002", "h002", 7, 6.0)}
    Store.sqlite(path)  # a second start changes nothing
