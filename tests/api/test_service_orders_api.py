"""Service orders through the API, on a real store and broker: the son orders a meal, the
dispatcher takes it through its states, the son's WebSocket shows each change as it happens,
he rates it; another family sees none of it; bad orders are refused with the reason; a
district's supervisor reads an order but cannot cancel it."""

from __future__ import annotations

import json

import websockets

from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    home_config,
    register,
    seed_care,
    served,
    settings_for,
)
from tests.support.served_hub import cookie_of, frames_of


async def test_a_son_orders_a_meal_sees_each_change_live_and_rates_it(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        care = await seed_care(hub)
        family = await hub.client_for(FAMILY)
        dispatcher = await hub.client_for(DISPATCHER)
        types = (await family.get("/service-types")).json()
        assert {t["code"] for t in types} == {"meal", "clean"}  # his mother's station's
        assert (await family.get("/service-providers")).json() == []  # the station's business
        async with websockets.connect(hub.ws_url, additional_headers=cookie_of(family)) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            body = {"resident": HOME, "type": care["meal"], "wanted_at": "2026-12-06T11:30:00",
                    "notes": "少盐，软一点"}  # fmt: skip
            placed = await family.post("/service-orders", json=body)
            assert placed.status_code == 201
            order = placed.json()
            assert (order["state"], order["created_by"], order["wanted_at"]) == (
                "requested", "李明", "2026-12-06T11:30:00+08:00",
            )  # fmt: skip
            steps = [{"to": "accepted"}, {"to": "assigned", "provider": care["canteen"]},
                     {"to": "on_the_way"}, {"to": "done", "note": "已送到"}]  # fmt: skip
            for step in steps:
                response = await dispatcher.post(f"/service-orders/{order['id']}/state", json=step)
                assert response.status_code == 200, response.text
            frames = await frames_of(ws, "service_order", 5)
        seen = [(f["data"]["change"], f["data"]["order"]["state"]) for f in frames]
        assert seen == [("requested", "requested"), ("accepted", "accepted"),
                        ("assigned", "assigned"), ("on_the_way", "on_the_way"),
                        ("done", "done")]  # fmt: skip
        assert frames[2]["data"]["order"]["provider"]["name"] == "社区长者食堂"
        assert {f["data"]["actor"] for f in frames[1:]} == {"张丽"}

        rated = await family.post(f"/service-orders/{order['id']}/rating", json={"rating": 5})
        assert rated.json()["rating"] == 5
        again = await family.post(f"/service-orders/{order['id']}/rating", json={"rating": 1})
        assert again.status_code == 409 and "already rated" in again.json()["detail"]
        story = (await dispatcher.get(f"/service-orders/{order['id']}")).json()["history"]
        assert [(c["action"], c["actor"]) for c in story] == [
            ("requested", "李明"), ("accepted", "张丽"), ("assigned", "张丽"),
            ("on_the_way", "张丽"), ("done", "张丽"), ("rated", "李明"),
        ]  # fmt: skip


async def test_a_dispatcher_orders_for_a_resident_who_phones_and_others_see_nothing(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/homes/h003", json=home_config("h003"))
        other_son = {"name": "赵强", "role": "family", "residents": ["h003"]}
        await hub.http.put("/users/zhao.qiang", json={**other_son, "password": PASSWORD})
        care = await seed_care(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        body = {"resident": HOME, "type": care["clean"], "wanted_at": "2026-12-07T09:00:00+08:00"}
        order = (await dispatcher.post("/service-orders", json=body)).json()
        assert order["created_by"] == "张丽"
        son = await hub.client_for(FAMILY)
        assert [o["id"] for o in (await son.get("/service-orders")).json()] == [order["id"]]
        stranger = await hub.client_for("zhao.qiang")
        assert (await stranger.get("/service-orders")).json() == []
        assert (await stranger.get(f"/service-orders/{order['id']}")).status_code == 404
        cancel = {"to": "cancelled"}
        refused = await stranger.post(f"/service-orders/{order['id']}/state", json=cancel)
        assert refused.status_code == 404
        # The son may call it off before anyone is on it, and not move it on.
        accept = await son.post(f"/service-orders/{order['id']}/state", json={"to": "accepted"})
        assert accept.status_code == 403
        cancelled = await son.post(f"/service-orders/{order['id']}/state", json=cancel)
        assert cancelled.json()["state"] == "cancelled"
        late = await dispatcher.post(
            f"/service-orders/{order['id']}/state", json={"to": "accepted"}
        )
        assert late.status_code == 409 and "cancelled" in late.json()["detail"]


async def test_bad_orders_are_refused_with_the_reason(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        other = await seed_care(hub, "st2")
        care = await seed_care(hub)
        son = await hub.client_for(FAMILY)
        body = {"resident": HOME, "type": other["meal"], "wanted_at": "2026-12-06T11:30:00"}
        refused = await son.post("/service-orders", json=body)
        assert refused.status_code == 422 and "offers no service" in refused.json()["detail"]
        body = {"resident": HOME, "type": care["meal"], "wanted_at": "0001-01-01T00:00:00"}
        refused = await son.post("/service-orders", json=body)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
            "body", "wanted_at",
        ]  # fmt: skip
        body = {"resident": HOME, "type": care["meal"], "wanted_at": "2026-12-06T11:30:00"}
        order = (await son.post("/service-orders", json=body)).json()
        dispatcher = await hub.client_for(DISPATCHER)
        url = f"/service-orders/{order['id']}/state"
        await dispatcher.post(url, json={"to": "accepted"})
        refused = await dispatcher.post(url, json={"to": "assigned", "provider": other["canteen"]})
        assert refused.status_code == 422 and "provider" in refused.json()["detail"]
        assert (
            await son.post(f"/service-orders/{order['id']}/rating", json={"rating": 9})
        ).status_code == 422
        assert (await son.get("/service-orders/99999999999")).status_code == 404


async def test_a_district_supervisor_cannot_cancel_a_familys_order(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        care = await seed_care(hub)
        assert (await hub.http.put("/cities/c1", json={"name": "市"})).status_code == 200
        district = {"name": "区", "city": "c1"}
        assert (await hub.http.put("/districts/d1", json=district)).status_code == 200
        assert (await hub.http.put("/districts/d1/stations/st1")).status_code == 200
        account = {"name": "区督导", "role": "district", "areas": ["d1"], "password": PASSWORD}
        assert (await hub.http.put("/users/qu.zhao", json=account)).status_code == 200
        son = await hub.client_for(FAMILY)
        body = {"resident": HOME, "type": care["meal"], "wanted_at": "2026-12-06T11:30:00"}
        order = (await son.post("/service-orders", json=body)).json()

        supervisor = await hub.client_for("qu.zhao")
        assert (await supervisor.get(f"/service-orders/{order['id']}")).status_code == 200
        url = f"/service-orders/{order['id']}/state"
        refused = await supervisor.post(url, json={"to": "cancelled"})
        assert refused.status_code == 403, refused.text
        assert (await son.get(f"/service-orders/{order['id']}")).json()["state"] == "requested"
