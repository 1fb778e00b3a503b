"""A store made before a column was added gets it when the hub opens it (there are no
migrations yet: new columns are nullable, and the store adds the missing ones)."""

from __future__ import annotations

import sqlite3

from hub.accounts import SessionPolicy, live_session, log_in, save_user
from hub.store import Store


def test_a_store_without_the_last_use_of_sessions_gets_the_column(tmp_path):
    path = tmp_path / "hub.db"
    Store.sqlite(path).close()
    with sqlite3.connect(path) as db:  # as an earlier version made it
        db.execute("ALTER TABLE login_sessions DROP COLUMN last_seen_at")
        assert "last_seen_at" not in {
            row[1] for row in db.execute("PRAGMA table_info(login_sessions)")
        }
    store = Store.sqlite(path)
    try:
        with sqlite3.connect(path) as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(login_sessions)")}
        assert "last_seen_at" in columns
        with store.transaction() as session:
            save_user(session, "zhang.li", name="张丽", role="dispatcher", password="x" * 12)
            token, _user = log_in(session, "zhang.li", "x" * 12)
        with store.sessions() as session:
            assert live_session(session, token, SessionPolicy()).username == "zhang.li"
    finally:
        store.close()
