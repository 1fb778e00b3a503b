"""Visits through the API, on a real store and broker: a plan makes a visit due today, an
attempt that did not reach her keeps it there, a visit that did takes it off; an overdue
visit becomes a ``visit_overdue`` alert in the station's queue, which a visit resolves; an
alert resolved as visited is a visit; bad input is refused with the reason."""

from __future__ import annotations

import asyncio
import json
import time

import websockets
from sqlalchemy import update

from hub.schema import VisitPlan
from tests.support.api_seed import two_stations
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    register,
    seed_care,
    served,
    settings_for,
)
from tests.support.served_hub import cookie_of

DAY = 86400.0


async def test_a_due_visit_is_recorded_and_leaves_today(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        care = await seed_care(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        plan = {"tier": care["daily"], "responsible": "王芳", "responsible_kind": "caregiver"}
        saved = (await dispatcher.put(f"/visit-plans/{HOME}", json=plan)).json()
        assert (saved["state"], saved["method"], saved["tier"]["name_zh"]) == (
            "due", "phone", "每日电话",
        )  # fmt: skip
        today = (await dispatcher.get("/visits/due")).json()
        assert [(v["resident"], v["state"]) for v in today] == [(HOME, "due")]

        missed = {"resident": HOME, "method": "phone", "reached": False, "notes": "无人接听"}
        assert (await dispatcher.post("/visits", json=missed)).status_code == 201
        (still,) = (await dispatcher.get("/visits/due")).json()
        assert still["misses"] == 1  # not reached: still on today's list

        reached = {
            "resident": HOME, "method": "phone", "reached": True,
            "checks": {"eating": "ok", "medication": "concern", "home_safe": "ok", "mood": "ok"},
            "notes": "降压药吃完了", "follow_up": "明天送药",
        }  # fmt: skip
        async with websockets.connect(hub.ws_url, additional_headers=cookie_of(dispatcher)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            recorded = (await dispatcher.post("/visits", json=reached)).json()
            async with asyncio.timeout(10):  # other consoles hear of it
                while (frame := json.loads(await ws.recv()))["type"] != "visit":
                    pass
        assert frame["data"]["id"] == recorded["id"] and frame["resident"] == HOME
        assert (recorded["visitor"], recorded["checks"]["medication"]) == ("张丽", "concern")
        assert (await dispatcher.get("/visits/due")).json() == []
        plan_now = (await dispatcher.get(f"/visit-plans/{HOME}")).json()
        assert (plan_now["state"], plan_now["misses"]) == ("planned", 0)

        # The son reads what was found; he cannot record a visit himself.
        family = await hub.client_for(FAMILY)
        seen = (await family.get("/visits", params={"resident": HOME})).json()
        assert [(v["reached"], v["follow_up"]) for v in seen] == [(True, "明天送药"), (False, None)]
        assert (await family.post("/visits", json=reached)).status_code == 403


async def overdue_alerts(client) -> list[dict]:
    return (await client.get("/alerts", params={"kind": "visit_overdue"})).json()


async def test_an_overdue_visit_is_an_alert_that_a_visit_resolves(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        care = await seed_care(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        plan = {
            "tier": care["daily"],
            "responsible": "志愿者 陈静",
            "responsible_kind": "volunteer",
        }
        await dispatcher.put(f"/visit-plans/{HOME}", json=plan)
        with hub.hub.store.transaction() as session:  # the plan began two days ago
            session.execute(update(VisitPlan).values(since=time.time() - 2 * DAY))
        hub.hub.visit_watch.every_s = 0.0  # the hub's loop looks at once, not in a minute

        async with asyncio.timeout(10):
            while not (alerts := await overdue_alerts(dispatcher)):
                await asyncio.sleep(0.05)
        (alert,) = alerts
        assert (alert["home"], alert["evidence"]["responsible"]) == (HOME, "志愿者 陈静")
        today = (await dispatcher.get("/visits/due")).json()
        assert [(v["resident"], v["state"]) for v in today] == [(HOME, "overdue")]

        visit = {"resident": HOME, "method": "home", "reached": True, "notes": "上门看过"}
        recorded = (await dispatcher.post("/visits", json=visit)).json()
        assert recorded["alert"] == alert["id"]
        closed = (await dispatcher.get(f"/alerts/{alert['id']}")).json()
        assert (closed["state"], closed["outcome"]) == ("resolved", "visited")
        assert (await dispatcher.get("/visits/due")).json() == []


async def test_an_alert_resolved_as_visited_records_a_visit(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        alerts = await two_stations(hub, mosquitto)
        dispatcher = await hub.client_for(DISPATCHER)
        assign = {"assignee": "王芳"}  # she goes; the dispatcher closes the case after
        assert (await dispatcher.post(f"/alerts/{alerts[HOME]}/assign", json=assign)).is_success
        body = {"outcome": "visited", "note": "摔倒后上门查看，无大碍"}
        response = await dispatcher.post(f"/alerts/{alerts[HOME]}/resolve", json=body)
        assert response.json()["outcome"] == "visited"
        (visit,) = (await dispatcher.get("/visits", params={"resident": HOME})).json()
        assert (visit["method"], visit["reached"], visit["visitor"], visit["alert"]) == (
            "home", True, "王芳", alerts[HOME],
        )  # fmt: skip
        assert (visit["recorded_by"], visit["notes"]) == ("张丽", "摔倒后上门查看，无大碍")


async def test_bad_visits_and_plans_are_refused_with_the_reason(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        other = await seed_care(hub, "st2")
        dispatcher = await hub.client_for(DISPATCHER)
        plan = {"tier": other["daily"], "responsible": "王芳"}
        refused = await dispatcher.put(f"/visit-plans/{HOME}", json=plan)
        assert refused.status_code == 422 and "no active visit tier" in refused.json()["detail"]
        bad = {"resident": HOME, "method": "letter", "reached": True}
        refused = await dispatcher.post("/visits", json=bad)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
            "body", "method",
        ]  # fmt: skip
        bad = {"resident": HOME, "method": "home", "reached": True, "checks": {"pulse": "ok"}}
        assert (await dispatcher.post("/visits", json=bad)).status_code == 422
        assert (
            await dispatcher.get("/visits/due", params={"day": "9999-12-31"})
        ).status_code == 422
        assert (await dispatcher.get(f"/visit-plans/{HOME}")).status_code == 404  # no plan yet
