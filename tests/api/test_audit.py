"""Who looked at my mother's data: every read of a resident's data is recorded (who, which
resident, when, which route) and an admin lists it per resident; the records have a
retention period."""

from __future__ import annotations

import time

from hub.retention import DAY_S, sweep
from hub.schema import ReadAudit
from hub.settings import HubSettings
from hub.store import Store
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    home_config,
    register,
    served,
    settings_for,
)


async def test_an_admin_sees_who_read_a_residents_data(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        await hub.http.put("/homes/h002", json=home_config("h002", station="st2"))
        dispatcher, family = await hub.client_for(DISPATCHER), await hub.client_for(FAMILY)
        reads_before = (await hub.http.get(f"/residents/{HOME}/reads")).json()

        assert (await dispatcher.get(f"/residents/{HOME}/today")).status_code == 200
        assert (await dispatcher.get(f"/residents/{HOME}/today")).status_code == 200  # again
        assert (await dispatcher.get(f"/residents/{HOME}/contacts")).status_code == 200
        assert (await family.get(f"/residents/{HOME}/history")).status_code == 200
        assert (await dispatcher.get("/residents/h002")).status_code == 404  # not theirs

        reads = (await hub.http.get(f"/residents/{HOME}/reads")).json()
        new = [r for r in reads if r not in reads_before]
        seen = {(r["username"], r["role"], r["route"]) for r in new}
        assert seen == {
            (DISPATCHER, "dispatcher", "GET /residents/{resident_id}/today"),
            (DISPATCHER, "dispatcher", "GET /residents/{resident_id}/contacts"),
            (FAMILY, "family", "GET /residents/{resident_id}/history"),
        }
        assert len(new) == 3, "a read repeated within a minute is one row"
        assert all(r["at"].startswith(time.strftime("%Y-")) for r in new)
        assert new == sorted(new, key=lambda r: r["at"], reverse=True)  # newest first
        # Nobody read h002's data (a 404 is no read), and lists count as reads of each.
        assert (await hub.http.get("/residents/h002/reads")).json() == []
        await dispatcher.get("/residents")
        await dispatcher.get("/homes")
        routes = {r["route"] for r in (await hub.http.get(f"/residents/{HOME}/reads")).json()}
        assert {"GET /residents", "GET /homes"} <= routes

        assert (await dispatcher.get(f"/residents/{HOME}/reads")).status_code == 403


def test_read_records_are_deleted_after_their_retention(tmp_path):
    store = Store.sqlite(tmp_path / "hub.db")
    now = time.time()
    try:
        with store.transaction() as session:
            for age_days in (400, 10):
                session.add(
                    ReadAudit(
                        at=now - age_days * DAY_S, username="zhang.li", role="dispatcher",
                        resident=HOME, route="GET /residents/{resident_id}",
                    )
                )  # fmt: skip
        deleted = sweep(store, HubSettings(retention_audit_days=365), now, pause=lambda: None)
        assert deleted["read_audit"] == 1
        with store.sessions() as session:
            kept = session.query(ReadAudit).all()
        assert [round((now - r.at) / DAY_S) for r in kept] == [10]
    finally:
        store.close()
