"""A store of the revision before deactivation (0003) is upgraded, keeps its rows, and
deactivation works on it at once."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from contracts import HomeConfig
from hub import migrate
from hub.accounts import deactivate_user
from hub.registry import deactivate_home
from hub.schema import Home, User
from hub.store import Store
from tests.support.factories import home_config
from tests.support.stores import fresh_database


def test_a_store_before_deactivation_is_upgraded_and_keeps_its_rows(tmp_path):
    url = fresh_database(tmp_path)
    engine = create_engine(url)
    home = HomeConfig.model_validate(home_config("h001")).model_dump(mode="json")
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as db:  # what the previous version wrote
            db.execute(text("INSERT INTO stations (id, name, notify) VALUES ('st1', '站', '[]')"))
            db.execute(
                text(
                    "INSERT INTO homes (id, station_id, config, resident_name, timezone, "
                    "updated_at, status) VALUES ('h001', 'st1', :config, '王秀英', "
                    "'Asia/Shanghai', 1.0, 'online')"
                ),
                {"config": json.dumps(home)},
            )
            db.execute(
                text(
                    "INSERT INTO users (username, name, role, password_hash, stations, "
                    "residents, created_at) VALUES ('zhang.li', '张丽', 'dispatcher', 'x', "
                    "'[\"st1\"]', '[]', 1.0)"
                )
            )
        assert migrate.upgrade(engine) == ("0003", migrate.head())
    finally:
        engine.dispose()

    store = Store(url)
    try:
        with store.transaction() as session:
            deactivated = deactivate_home(session, "h001", actor="Administrator", now=100.0)
            user = deactivate_user(session, "zhang.li", now=100.0)
            assert (deactivated.deactivated_at, user.deactivated_at) == (100.0, 100.0)
        with store.sessions() as session:
            assert session.get(Home, "h001").resident_name == "王秀英"  # the rows are kept
            assert session.get(User, "zhang.li").deactivated_at == 100.0
    finally:
        store.close()
