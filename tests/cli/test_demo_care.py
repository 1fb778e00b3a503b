"""The demo's care operations (#16), through the web API the pages use: visit plans with a
visit due today, an overdue one (already an alert) and a home visit after two missed calls;
service orders in several states, the son's among them."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.demo_process import running_demo


async def test_the_demo_shows_due_visits_an_overdue_alert_and_orders():
    demo_options = ("--homes", "3", "--speed", "1500", "--days", "0.3")
    # The hub takes in the replayed morning meanwhile: a reply may take seconds.
    async with (
        running_demo(*demo_options, ready_within=120) as demo,
        httpx.AsyncClient(base_url=demo.url, timeout=60) as desk,
        httpx.AsyncClient(base_url=demo.url, timeout=60) as son,
    ):
        for client, username in ((desk, "dispatcher"), (son, "family")):
            login = {"username": username, "password": "demo"}
            assert (await client.post("/auth/login", json=login)).status_code == 200
        due = {v["resident"]: v for v in (await desk.get("/visits/due")).json()}
        assert {r: (v["state"], v["method"]) for r, v in due.items()} == {
            "h001": ("due", "phone"),
            "h002": ("overdue", "video"),
            "h003": ("due", "home"),  # not reached by phone twice
        }
        async with asyncio.timeout(60):
            while not (await desk.get("/alerts", params={"kind": "visit_overdue"})).json():
                await asyncio.sleep(0.2)
        orders = (await desk.get("/service-orders")).json()
        assert sorted(o["state"] for o in orders) == ["done", "on_the_way", "requested"]
        rated = next(o for o in orders if o["state"] == "done")
        assert rated["rating"] == 5 and rated["type"]["name_zh"] == "助浴"
        mine = (await son.get("/service-orders")).json()
        assert {o["resident"] for o in mine} == {"h001"} and len(mine) == 3
        types = {t["code"] for t in (await son.get("/service-types")).json()}
        assert types == {"meal", "bath", "clean", "doctor", "repair"}
