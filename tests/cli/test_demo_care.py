"""The demo's care operations (#16), through the web API the pages use: visit plans with a
visit due today, an overdue one (already an alert) and a home visit after two missed calls;
service orders in several states, the son's among them."""

from __future__ import annotations

import asyncio
from datetime import datetime, time
from zoneinfo import ZoneInfo

import httpx

from tests.support.demo_process import running_demo

ZONE = ZoneInfo("Asia/Shanghai")  # the demo homes'


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
        assert sorted(o["state"] for o in orders) == ["assigned", "done", "requested"]
        rated = next(o for o in orders if o["state"] == "done")
        assert rated["rating"] == 5 and rated["type"]["name_zh"] == "助浴"
        # The demo's clock runs from 06:00 to the present: an open order's state holds all
        # that while (no "on the way at 06:30" still so at 13:30), its wanted time is to come
        # and every change of every order is in its past already.
        clock = (await desk.get("/clock")).json()["now"]
        day_start = datetime.combine(datetime.fromtimestamp(clock, ZONE).date(), time(6), ZONE)
        for order in orders:
            if order["state"] != "done":
                assert datetime.fromisoformat(order["wanted_at"]) > datetime.now(ZONE)
            history = (await desk.get(f"/service-orders/{order['id']}")).json()["history"]
            assert all(datetime.fromisoformat(c["at"]) < day_start for c in history), history
        # The seeded past (eldercare/demo_reports.py) is over before the simulated day began:
        # whatever began since is the live homes'.
        today = {"state": "all", "since": day_start.isoformat()}
        since = (await desk.get("/alerts", params=today)).json()
        assert not [a for a in since if a["evidence"] == {"demo": "history"}]
        mine = (await son.get("/service-orders")).json()
        assert {o["resident"] for o in mine} == {"h001"} and len(mine) == 3
        types = {t["code"] for t in (await son.get("/service-types")).json()}
        assert types == {"meal", "bath", "clean", "doctor", "repair"}
