"""Announced absences (外出登记) through the API, on a real hub, store and broker: the son
announces that his mother is at his sister's, her edge gets it with the config (retained),
the dispatcher's console learns of it live and sees it on her; he ends it when she is back,
and the edge watches her routine again. Who may: the family for its own resident, the
station's dispatchers for its homes, an admin; the station's other staff and district and
city accounts read only; nobody sees another's resident (404).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import websockets

from contracts.home import HomeConfig
from tests.support.api_seed import CAREGIVER
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    PREFIX,
    home_config,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import Collector, running, until
from tests.support.served_hub import cookie_of, frames_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIG_TOPIC = f"{PREFIX}/{HOME}/config"


def span(start_hours: float, end_hours: float) -> dict[str, str]:
    return {"start": wall(start_hours), "end": wall(end_hours)}


def wall(hours: float) -> str:
    """``hours`` from now on her wall clock, as a phone's date-time field sends it."""
    moment = datetime.fromtimestamp(time.time() + hours * 3600, SHANGHAI)
    return moment.replace(tzinfo=None).isoformat(timespec="minutes")


def away_now(collector: Collector) -> list[bool]:
    """For each config the edge got: whether it says she is away now."""
    return [
        HomeConfig.model_validate(body).away_at(time.time()) is not None
        for body in collector.of(CONFIG_TOPIC)
    ]


async def test_the_son_announces_an_absence_the_edge_and_the_station_know_and_he_ends_it(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        son = await hub.client_for(FAMILY)
        dispatcher = await hub.client_for(DISPATCHER)
        async with websockets.connect(hub.ws_url, additional_headers=cookie_of(dispatcher)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            body = {"start": wall(-1), "end": wall(50), "note": "在合肥女儿家"}
            made = await son.post(f"/residents/{HOME}/away", json=body)
            assert made.status_code == 201, made.text
            (frame,) = await frames_of(ws, "away", 1)  # the console redraws her at once
        absence = made.json()
        assert (absence["by"], absence["by_name"], absence["state"]) == (FAMILY, "李明", "current")
        assert absence["start"] == f"{body['start']}:00+08:00"  # her wall clock, her zone
        assert frame["resident"] == HOME and frame["data"]["away"][0]["id"] == absence["id"]

        # Her edge, connecting now, gets the config that says so (retained).
        edge_side = Collector(mosquitto, CONFIG_TOPIC)
        async with running(edge_side.run):
            await until(lambda: any(away_now(edge_side)), what="the absence on the config topic")
        (sent,) = edge_side.of(CONFIG_TOPIC)[-1]["away"]
        assert (sent["note"], sent["by"]) == ("在合肥女儿家", FAMILY)

        # The station sees it on her, with who announced it.
        seen = (await dispatcher.get(f"/residents/{HOME}")).json()
        assert seen["away"]["id"] == absence["id"] and seen["away"]["by_name"] == "李明"
        assert seen["away"]["end"] == absence["end"]
        listed = (await dispatcher.get(f"/residents/{HOME}/away")).json()
        assert [a["id"] for a in listed] == [absence["id"]]

        # She is back: he ends it; the edge watches her routine again.
        ended = await son.post(f"/residents/{HOME}/away/{absence['id']}/end")
        assert ended.status_code == 200, ended.text
        assert [a["state"] for a in ended.json()] == ["ended"]
        edge_side = Collector(mosquitto, CONFIG_TOPIC)
        async with running(edge_side.run):
            await until(
                lambda: edge_side.of(CONFIG_TOPIC) and not away_now(edge_side)[-1],
                what="the ended absence on the config topic",
            )
        assert (await dispatcher.get(f"/residents/{HOME}")).json()["away"] is None
        again = await dispatcher.post(f"/residents/{HOME}/away/{absence['id']}/end")
        assert again.status_code == 409 and "over already" in again.json()["detail"]

        # Who changed her absences is on record, as every read of her data.
        reads = (await hub.http.get(f"/residents/{HOME}/reads")).json()
        routes = {(r["username"], r["route"]) for r in reads}
        assert (FAMILY, "POST /residents/{resident_id}/away") in routes
        assert (FAMILY, "POST /residents/{resident_id}/away/{away_id}/end") in routes


async def test_the_station_sees_an_absence_to_come_and_then_the_one_after_it(mosquitto, tmp_path):
    """On Monday the son says she goes to his place from Wednesday: the dispatcher sees it
    on her before it starts (``away_next``), and as ``away`` once it has begun."""
    shift = [0.0]  # hours the API's clock is ahead of the wall clock

    def clock() -> float:
        return time.time() + shift[0] * 3600

    async with served(settings_for(mosquitto, tmp_path), clock=clock) as hub:
        await register(hub)
        son = await hub.client_for(FAMILY)
        dispatcher = await hub.client_for(DISPATCHER)
        url = f"/residents/{HOME}/away"
        wednesday = {**span(48, 56), "note": "住在儿子家"}
        first = await son.post(url, json=wednesday)
        later = await son.post(url, json={**span(24 * 7, 24 * 8), "note": "复查住院"})
        assert first.status_code == later.status_code == 201, (first.text, later.text)

        def on_her(residents: list[dict]) -> dict:
            (her,) = [r for r in residents if r["id"] == HOME]
            return her

        her = on_her((await dispatcher.get("/residents")).json())
        assert her["away"] is None
        coming = her["away_next"]
        assert (coming["id"], coming["state"], coming["by_name"]) == (
            first.json()["id"], "upcoming", "李明",
        )  # fmt: skip
        assert (coming["start"], coming["end"], coming["note"]) == (
            f"{wednesday['start']}:00+08:00", f"{wednesday['end']}:00+08:00", "住在儿子家",
        )  # fmt: skip
        assert (await dispatcher.get(f"/residents/{HOME}")).json()["away_next"] == coming

        shift[0] = 49  # Wednesday: she is at his place
        her = (await dispatcher.get(f"/residents/{HOME}")).json()
        assert (her["away"]["id"], her["away"]["state"]) == (first.json()["id"], "current")
        assert her["away_next"]["id"] == later.json()["id"]
        shift[0] = 24 * 9  # both over
        her = on_her((await dispatcher.get("/residents")).json())
        assert her["away"] is None and her["away_next"] is None


async def test_an_admins_config_without_away_keeps_the_familys_absence(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        son = await hub.client_for(FAMILY)
        made = await son.post(f"/residents/{HOME}/away", json={"start": wall(2), "end": wall(9)})
        assert made.status_code == 201
        edited = home_config(night={"start": "23:00", "end": "06:30"})
        assert (await hub.http.put(f"/homes/{HOME}", json=edited)).status_code == 200
        kept = (await son.get(f"/residents/{HOME}/away")).json()
        assert [(a["id"], a["state"]) for a in kept] == [(made.json()["id"], "upcoming")]
        cleared = await hub.http.put(f"/homes/{HOME}", json={**edited, "away": []})
        assert cleared.status_code == 200
        assert (await son.get(f"/residents/{HOME}/away")).json() == []


async def test_who_may_announce_and_end_an_absence(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        await hub.http.put("/homes/h002", json=home_config("h002", station="st2"))
        assert (await hub.http.put("/cities/c1", json={"name": "市"})).status_code == 200
        district = {"name": "区", "city": "c1"}
        assert (await hub.http.put("/districts/d1", json=district)).status_code == 200
        assert (await hub.http.put("/districts/d1/stations/st1")).status_code == 200
        accounts = {
            "qu.zhao": {"name": "区督导", "role": "district", "areas": ["d1"]},
            "shi.qian": {"name": "市督导", "role": "city", "areas": ["c1"]},
            CAREGIVER: {"name": "王芳", "role": "caregiver", "stations": ["st1"]},
        }
        for username, account in accounts.items():
            saved = await hub.http.put(f"/users/{username}", json={**account, "password": PASSWORD})
            assert saved.status_code == 200, saved.text
        clients = {"admin": hub.http, "family": await hub.client_for(FAMILY),
                   "dispatcher": await hub.client_for(DISPATCHER)}  # fmt: skip
        for username in accounts:
            clients[username] = await hub.client_for(username)
        seeded = {}
        for home in (HOME, "h002"):
            made = await hub.http.post(f"/residents/{home}/away", json=span(-1, 5))
            seeded[home] = made.json()["id"]

        got = {}
        for n, (who, client) in enumerate(clients.items(), start=1):
            reads, announces, ends = [], [], []
            for home in (HOME, "h002"):
                reads.append((await client.get(f"/residents/{home}/away")).status_code)
                made = await client.post(f"/residents/{home}/away", json=span(24 * n, 24 * n + 3))
                announces.append(made.status_code)
                # Each ends what they announced; those who could not try the admin's.
                mine = made.json()["id"] if made.status_code == 201 and who != "admin" else None
                url = f"/residents/{home}/away/{mine or seeded[home]}/end"
                ends.append((await client.post(url)).status_code)
            got[who] = (tuple(reads), tuple(announces), tuple(ends))
        assert got == {  # who: (on h001, on h002) reading, announcing, ending
            "admin": ((200, 200), (201, 201), (200, 200)),
            "family": ((200, 404), (201, 404), (200, 404)),
            "dispatcher": ((200, 404), (201, 404), (200, 404)),
            CAREGIVER: ((200, 404), (403, 404), (403, 404)),
            "qu.zhao": ((200, 404), (403, 404), (403, 404)),
            "shi.qian": ((200, 404), (403, 404), (403, 404)),
        }

        # What the refused asked for is nowhere; the others' is, with who asked. (Called off
        # before it began, an absence is gone; the admin's first one ended: it had begun.)
        left = (await hub.http.get(f"/residents/{HOME}/away")).json()
        assert [(a["by"], a["state"]) for a in left] == [("admin", "ended"), ("admin", "upcoming")]
        left = (await hub.http.get("/residents/h002/away")).json()
        assert [(a["by"], a["state"]) for a in left] == [("admin", "ended"), ("admin", "upcoming")]


async def test_absences_that_cannot_be_are_refused_with_the_reason(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        son = await hub.client_for(FAMILY)
        url = f"/residents/{HOME}/away"
        for wrong, why, code in (
            ({"start": wall(5), "end": wall(2)}, "end after it starts", "absence_end_before_start"),
            ({"start": wall(1), "end": wall(24 * 93)}, "92 days at most", "absence_too_long"),
            ({"start": wall(-9), "end": wall(-2)}, "over already", "absence_over"),
        ):
            refused = await son.post(url, json=wrong)
            assert refused.status_code == 422 and why in refused.text, refused.text
            assert refused.json()["code"] == code  # for the pages, which say it in Chinese
        for malformed in (
            {"start": wall(1)},
            {"start": wall(1), "end": wall(3), "note": "长" * 201},
            {"start": wall(1), "end": wall(3), "by": "admin"},  # who announces is the session
            {"start": "明天", "end": wall(3)},
        ):
            assert (await son.post(url, json=malformed)).status_code == 422, malformed
        offset = {"start": "2030-01-01T01:00:00Z", "end": "2030-01-02T01:00:00Z"}
        made = (await son.post(url, json=offset)).json()
        assert made["start"] == "2030-01-01T09:00:00+08:00"  # shown in her zone
        assert (await son.post(f"{url}/0123456789ab/end")).status_code == 404
        assert (await son.post(f"{url}/not-an-id/end")).status_code == 422
        assert [a["start"] for a in (await son.get(url)).json()] == [made["start"]]
