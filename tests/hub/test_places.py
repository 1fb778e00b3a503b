"""Beds and who sleeps in them, through the API on a real SQLite store and broker: a move
keeps the history, the home config's place follows the bed (and reaches the edge, retained),
and a config naming a bed that is not hers is refused whole."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.support.factories import PREFIX, served, settings_for, ward_config
from tests.support.mqtt import Collector, running, until
from tests.support.ward_seed import CAREGIVER_A, INSTITUTION, seed_ward


async def test_a_move_keeps_the_history_and_the_config_follows_the_bed(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        ward = await seed_ward(hub)
        moved = await hub.http.put(f"/beds/{ward.beds['301-2']}/resident",
                                   json={"resident": "r301a"})  # fmt: skip
        assert moved.status_code == 200, moved.text
        # The config now names bed 301-2, and the edge gets it.
        home = (await hub.http.get("/homes/r301a")).json()
        assert home["config"]["place"] == {"institution": INSTITUTION, "unit": "3F",
                                           "room": "301", "bed": "2"}  # fmt: skip
        edge_side = Collector(mosquitto, f"{PREFIX}/r301a/config")
        async with running(edge_side.run):
            await until(lambda: any((c.get("place") or {}).get("bed") == "2"
                                    for c in edge_side.of(f"{PREFIX}/r301a/config")),
                        what="the new place on the config topic")  # fmt: skip
        old = (await hub.http.get(f"/beds/{ward.beds['301-1']}/history")).json()
        new = (await hub.http.get(f"/beds/{ward.beds['301-2']}/history")).json()
        assert [(a["resident"], a["until"] is not None) for a in old] == [("r301a", True)]
        assert [(a["resident"], a["until"] is None) for a in new] == [("r301a", True)]
        assert new[0]["by"] == "Administrator" and new[0]["since"] == old[0]["until"]
        tree = (await hub.http.get(f"/institutions/{INSTITUTION}")).json()["units"][0]["rooms"]
        beds = {f"{r['name']}-{b['name']}": b["resident"] for r in tree for b in r["beds"]}
        assert beds == {"301-1": None, "301-2": "r301a", "302-1": "r302a"}

        # A config upload moves her as well: back to 301-1, through PUT /homes.
        back = await hub.http.put("/homes/r301a", json=ward_config("r301a", INSTITUTION,
                                                                   "3F", "301", "1"))  # fmt: skip
        assert back.status_code == 200, back.text
        floor = (await hub.http.get(f"/units/{ward.unit}/floor")).json()
        residents = {f"{r['name']}-{b['name']}": b["resident"] for r in floor["rooms"]
                     for b in r["beds"]}  # fmt: skip
        assert residents == {"301-1": "r301a", "301-2": None, "302-1": "r302a"}


async def test_a_config_naming_a_bed_that_is_not_hers_is_refused_whole(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await seed_ward(hub)
        before = (await hub.http.get("/homes/r301a")).json()["config"]
        taken = ward_config("r301a", INSTITUTION, "3F", "302", "1", night={"start": "21:00"})
        answer = await hub.http.put("/homes/r301a", json=taken)
        assert answer.status_code == 409 and "r302a" in answer.json()["detail"]
        missing = ward_config("r301a", INSTITUTION, "3F", "309", "1")
        answer = await hub.http.put("/homes/r301a", json=missing)
        assert answer.status_code == 409 and "309" in answer.json()["detail"]
        elsewhere = {**ward_config("r301a", INSTITUTION, "3F", "301", "1"), "station": "st9"}
        await hub.http.put("/stations/st9", json={"name": "另一站"})
        answer = await hub.http.put("/homes/r301a", json=elsewhere)
        assert answer.status_code == 409 and "institution" in answer.json()["detail"]
        # Nothing of the refused configs stayed: not the night, not the bed.
        assert (await hub.http.get("/homes/r301a")).json()["config"] == before
        # A nurse works in an institution; a caregiver of one is not also a station's.
        nurse = {"name": "护士", "role": "nurse", "stations": ["st9"], "password": "long-enough-1"}
        answer = await hub.http.put("/users/ns.z", json=nurse)
        assert answer.status_code == 422 and "institution" in answer.text
        carer = {"name": "护工", "role": "caregiver", "stations": [INSTITUTION, "st9"],
                 "password": "long-enough-1"}  # fmt: skip
        answer = await hub.http.put("/users/cg.z", json=carer)
        assert answer.status_code == 422 and "institutions only" in answer.text


async def test_a_caregiver_sees_the_residents_of_her_shift_and_no_one_else(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        ward = await seed_ward(hub)
        a = await hub.client_for("cg.a")
        assert [r["id"] for r in (await a.get("/residents")).json()] == ["r301a"]
        assert (await a.get("/residents/r302a")).status_code == 404
        assert (await a.get(f"/beds/{ward.beds['302-1']}/history")).status_code == 404
        floor = (await a.get(f"/units/{ward.unit}/floor")).json()
        assert [room["name"] for room in floor["rooms"]] == ["301"]
        assert (await a.post("/rounds", json={"room": ward.rooms["302"]})).status_code == 404
        assert [s["caregiver"] for s in (await a.get("/shifts")).json()] == ["cg.a"]
        # Her shift ends: she sees no resident of the institution any more.
        shift = next(s for s in (await hub.http.get("/shifts")).json() if s["caregiver"] == "cg.a")
        one_minute = datetime.fromisoformat(shift["starts_at"]) + timedelta(minutes=1)
        ended = {"institution": INSTITUTION, "caregiver": "cg.a", "starts_at": shift["starts_at"],
                 "ends_at": one_minute.isoformat(), "rooms": shift["rooms"]}  # fmt: skip
        assert (await hub.http.put(f"/shifts/{shift['id']}", json=ended)).status_code == 200
        assert (await a.get("/residents")).json() == []
        assert (await a.get(f"/units/{ward.unit}/floor")).status_code == 404
        # The daughter sees her mother as in the home case, and no place of the institution.
        daughter = await hub.client_for("zhao.min")
        assert [r["id"] for r in (await daughter.get("/residents")).json()] == ["r301a"]
        assert (await daughter.get(f"/units/{ward.unit}/floor")).status_code == 404
        assert (await daughter.get("/institutions")).json() == []


async def test_a_deactivated_resident_frees_her_bed_and_comes_back_to_it_if_still_free(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        ward = await seed_ward(hub)
        assert (await hub.http.delete("/homes/r301a")).status_code == 200
        floor = (await hub.http.get(f"/units/{ward.unit}/floor")).json()
        assert floor["rooms"][0]["beds"][0]["resident"] is None
        assert (await hub.http.post("/homes/r301a/reactivate")).status_code == 200
        tree = (await hub.http.get(f"/institutions/{INSTITUTION}")).json()["units"][0]
        assert tree["rooms"][0]["beds"][0]["resident"] == "r301a"

        # Out again, and her bed given to r302a meanwhile: she comes back without a bed,
        # and her config says so (no place), rather than naming r302a's bed.
        assert (await hub.http.delete("/homes/r301a")).status_code == 200
        taken = await hub.http.put(f"/beds/{ward.beds['301-1']}/resident",
                                   json={"resident": "r302a"})  # fmt: skip
        assert taken.status_code == 200, taken.text
        assert (await hub.http.post("/homes/r301a/reactivate")).status_code == 200
        assert (await hub.http.get("/homes/r301a")).json()["config"]["place"] is None
        history = (await hub.http.get(f"/beds/{ward.beds['301-1']}/history")).json()
        assert [(a["resident"], a["until"] is None) for a in history] == [
            ("r301a", False), ("r301a", False), ("r302a", True)]  # fmt: skip


@pytest.fixture
def server_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The hub's machine in a zone that is neither the institution's nor UTC."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_a_shift_written_without_an_offset_is_the_institutions_wall_clock(
    mosquitto, tmp_path, server_in_new_york
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        ward = await seed_ward(hub)
        night = {"institution": INSTITUTION, "caregiver": CAREGIVER_A,
                 "starts_at": "2026-12-08T20:00:00", "ends_at": "2026-12-09T08:00:00",
                 "rooms": [ward.rooms["301"]]}  # fmt: skip
        made = await hub.http.post("/shifts", json=night)
        assert made.status_code == 201, made.text
        assert (made.json()["starts_at"], made.json()["ends_at"]) == (
            "2026-12-08T20:00:00+08:00",
            "2026-12-09T08:00:00+08:00",
        )
        # So is a change to it; a time with an offset is that moment, wherever it was written.
        later = {**night, "starts_at": "2026-12-08T13:00:00+01:00"}
        changed = await hub.http.put(f"/shifts/{made.json()['id']}", json=later)
        assert changed.status_code == 200, changed.text
        assert changed.json()["starts_at"] == "2026-12-08T20:00:00+08:00"
        assert changed.json()["ends_at"] == "2026-12-09T08:00:00+08:00"
