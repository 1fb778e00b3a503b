"""A store made by an earlier version (no deactivation columns) opens, gains the columns,
and keeps its rows: deactivation works on it at once."""

from __future__ import annotations

import sqlite3

from contracts import HomeConfig
from hub.accounts import deactivate_user, save_user
from hub.registry import deactivate_home, save_home, save_station
from hub.schema import Home, User
from hub.store import Store
from tests.support.factories import home_config


def test_an_older_store_gains_the_deactivation_columns(tmp_path):
    path = tmp_path / "hub.db"
    store = Store.sqlite(path)
    with store.transaction() as session:
        save_station(session, "st1", name="站")
        save_home(session, HomeConfig.model_validate(home_config("h001")))
        save_user(session, "zhang.li", name="张丽", role="dispatcher", password="long-enough")
    store.close()
    # What the previous version's tables looked like.
    with sqlite3.connect(path) as db:
        for table, column in (
            ("homes", "deactivated_at"),
            ("homes", "deactivated_by"),
            ("users", "deactivated_at"),
        ):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    store = Store.sqlite(path)
    try:
        with store.transaction() as session:
            home = deactivate_home(session, "h001", actor="Administrator", now=100.0)
            user = deactivate_user(session, "zhang.li", now=100.0)
            assert (home.deactivated_at, user.deactivated_at) == (100.0, 100.0)
        with store.sessions() as session:
            assert session.get(Home, "h001").resident_name == "王秀英"  # the rows are kept
            assert session.get(User, "zhang.li").deactivated_at == 100.0
    finally:
        store.close()
