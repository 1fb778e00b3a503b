"""The store's schema comes from migrations (hub/migrate.py, hub/migrations/), on SQLite
and on PostgreSQL alike."""

from __future__ import annotations

import json
import time

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from hub import migrate
from hub.migrate import StoreBehind
from hub.schema import Base
from hub.store import Store
from tests.support.cli import eldercare
from tests.support.factories import hub_process, make_home
from tests.support.stores import fresh_database, query


def test_the_migrations_give_exactly_the_models_schema(tmp_path):
    engine = create_engine(fresh_database(tmp_path))
    try:
        assert migrate.upgrade(engine) == (None, migrate.head())
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == [], "the models changed without a migration: " + "\n".join(
            map(str, differences)
        )
    finally:
        engine.dispose()


def test_a_new_store_is_created_at_the_newest_revision(tmp_path):
    store = Store(fresh_database(tmp_path))
    try:
        with store.engine.connect() as connection:
            assert migrate.revision(connection) == migrate.head()
    finally:
        store.close()


async def test_a_store_of_the_previous_revision_is_refused_then_upgraded_keeping_its_data(
    mosquitto, tmp_path
):
    url = fresh_database(tmp_path)
    previous = migrate.scripts().get_revision(migrate.head()).down_revision
    assert isinstance(previous, str)
    engine = create_engine(url)
    with engine.begin() as connection:  # what the earlier version wrote
        command.upgrade(migrate._config(connection), previous)
        home = make_home().model_dump(mode="json")
        now = time.time()
        connection.execute(
            text("INSERT INTO stations (id, name, notify) VALUES (:id, '幸福社区服务站', '[]')"),
            {"id": home["station"]},
        )
        connection.execute(
            text(
                "INSERT INTO homes (id, station_id, config, resident_name, timezone, "
                "updated_at, status) VALUES (:id, :station, :config, :name, :tz, :now, 'online')"
            ),
            {
                "id": home["home"],
                "station": home["station"],
                "config": json.dumps(home),
                "name": home["resident"]["name"],
                "tz": home["timezone"],
                "now": now,
            },
        )
        connection.execute(
            text(
                "INSERT INTO alerts (home_id, station_id, kind, severity, active, acknowledged, "
                "started, raised_at, updated_at, detector, evidence, related, escalation_step) "
                "VALUES (:home, :station, 'fall', 'critical', TRUE, FALSE, :now, :now, :now, "
                "'fall', '{}', '[]', 0)"
            ),
            {"home": home["home"], "station": home["station"], "now": now},
        )
    engine.dispose()

    try:
        Store(url)
        raise AssertionError("a store that is behind was opened")
    except StoreBehind as behind:
        assert (behind.current, behind.head) == (previous, migrate.head())
    refused = eldercare("hub", "--database", url, "--broker", mosquitto.url, "--port", "1")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"at schema revision {previous}" in refused.stderr
    assert "eldercare upgrade --database" in refused.stderr

    upgraded = eldercare("upgrade", "--database", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from {previous} to {migrate.head()}" in upgraded.stdout
    again = eldercare("upgrade", "--database", url)
    assert "newest revision" in again.stdout

    # The hub starts on it and the open fall is there, as it was.
    async with hub_process(mosquitto, tmp_path, ELDERCARE_DATABASE=url) as hub:
        await hub.start()
        alerts = (await hub.http.get("/alerts")).json()
        assert [(a["kind"], a["resident"]) for a in alerts] == [("fall", home["home"])]
    assert query(url, "SELECT name FROM stations") == [("幸福社区服务站",)]
