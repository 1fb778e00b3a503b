"""The registry routes the operator pages use: validation with what/where/why, deactivation
that keeps history, secrets that never come back, the install check's arrivals, and /docs
served without a CDN. Access by role is walked in test_access.py."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx

from api.app import create_app
from hub.settings import HubSettings
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    PREFIX,
    device,
    event_message,
    home_config,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish

SOS = device("sos_bed", "sos_button", "bedside", "zigbee2mqtt:sos")


def telemetry(seq: int, value: float, home: str = HOME) -> tuple[str, bytes]:
    """A batch of one heart-rate reading, as an edge sends it, stamped now."""
    reading = {
        "ts": datetime.now(UTC).isoformat(),
        "home": home,
        "device": "band",
        "metric": "heart_rate",
        "value": value,
    }
    document = {"home": home, "readings": [reading], "edge": home, "seq": seq}
    return f"{PREFIX}/{home}/telemetry", json.dumps(document).encode()


async def test_a_device_model_not_in_the_catalog_is_refused_saying_what_where_why(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        wrong_model = {**SOS, "model": "NOPE-1"}
        wrong_kind = {**SOS, "model": "MCCGQ11LM"}  # a door sensor's model on an SOS button
        for devices, index, why in (
            ([wrong_model], 0, "no device model 'NOPE-1' in the catalog"),
            ([SOS, {**wrong_kind, "id": "sos2", "source": "zigbee2mqtt:s2"}], 1, "is a door"),
        ):
            response = await hub.http.put("/homes/h009", json=home_config("h009", devices=devices))
            assert response.status_code == 422, response.text
            [problem] = response.json()["detail"]
            assert problem["loc"] == ["body", "devices", index, "model"]
            assert why in problem["msg"]
        # The known models of the kind are named, so the installer can pick one.
        response = await hub.http.put(
            "/homes/h009", json=home_config("h009", devices=[wrong_model])
        )
        assert "sos_button models:" in response.json()["detail"][0]["msg"]
        assert (await hub.http.get("/homes/h009")).status_code == 404  # nothing half-saved


async def test_an_account_must_belong_to_a_station_or_resident_that_exists(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        cases = {
            "wang.1": (
                {"role": "dispatcher", "stations": ["st-nowhere"]},
                "no station 'st-nowhere'",
            ),
            "wang.2": ({"role": "dispatcher"}, "needs at least one station"),
            "wang.3": ({"role": "family", "residents": ["h404"]}, "no resident 'h404'"),
            "wang.4": (
                {"role": "family", "stations": ["st1"], "residents": [HOME]},
                "not stations",
            ),
        }
        for username, (links, why) in cases.items():
            body = {"name": "某人", "password": PASSWORD, **links}
            response = await hub.http.put(f"/users/{username}", json=body)
            assert response.status_code == 422, (username, response.text)
            assert why in json.dumps(response.json(), ensure_ascii=False), username
        listed = {user["username"] for user in (await hub.http.get("/users")).json()}
        assert listed.isdisjoint(cases)


async def test_a_deactivated_home_keeps_its_history_and_leaves_the_queue(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        family = await hub.client_for(FAMILY)
        await publish(mosquitto, [event_message("fall", seq=1)])
        [fall] = await until_alerts(dispatcher, 1)

        response = await hub.http.delete(f"/homes/{HOME}")
        assert response.status_code == 200
        assert response.json()["active"] is False and response.json()["deactivated_at"]
        assert response.json()["deactivated_by"] == "Administrator"
        assert (await dispatcher.get("/alerts")).json() == []
        assert (await dispatcher.get("/residents")).json() == []
        assert (await family.get(f"/residents/{HOME}")).status_code == 404
        # The history stays, for the admin.
        assert (await hub.http.get(f"/alerts/{fall['id']}")).json()["kind"] == "fall"

        # What its edge still sends is recorded, and opens no alert.
        await publish(mosquitto, [event_message("sos", seq=2)])
        events = await until_arrivals(hub, "events", 2)
        assert [e["kind"] for e in events] == ["fall", "sos"]
        every = (await hub.http.get("/alerts", params={"state": "all"})).json()
        assert [a["kind"] for a in every] == ["fall"]
        # Its config cannot change while it is out of service.
        refused = await hub.http.put(f"/homes/{HOME}", json=home_config())
        assert refused.status_code == 409 and "deactivated" in refused.text

        assert (await hub.http.post(f"/homes/{HOME}/reactivate")).json()["active"] is True
        assert [r["id"] for r in (await dispatcher.get("/residents")).json()] == [HOME]


async def test_a_deactivated_account_cannot_log_in_and_its_sessions_end(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        response = await hub.http.delete(f"/users/{DISPATCHER}")
        assert response.status_code == 200 and response.json()["active"] is False
        assert (await dispatcher.get("/auth/me")).status_code == 401
        login = {"username": DISPATCHER, "password": PASSWORD}
        assert (await dispatcher.post("/auth/login", json=login)).status_code == 401
        # Kept, not deleted: listed as deactivated; saving it is refused until reactivated.
        users = {u["username"]: u for u in (await hub.http.get("/users")).json()}
        assert users[DISPATCHER]["active"] is False
        again = {"name": "张丽", "role": "dispatcher", "stations": ["st1"]}
        assert (await hub.http.put(f"/users/{DISPATCHER}", json=again)).status_code == 409
        # An admin cannot lock themselves out.
        assert (await hub.http.delete("/users/admin")).status_code == 409

        await hub.http.post(f"/users/{DISPATCHER}/reactivate")
        assert (await dispatcher.post("/auth/login", json=login)).status_code == 200
        assert (await hub.http.delete("/users/nobody")).status_code == 404


async def test_a_stations_channel_secrets_never_come_back(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        secret = "json://ops:s3cret-pw@127.0.0.1:9/alerts?token=tok-123456"
        body = {"name": "颍州站", "phone": "0558-1234567", "notify": [secret]}
        saved = await hub.http.put("/stations/st1", json=body)
        assert saved.status_code == 200
        assert "s3cret" not in saved.text and "tok-123456" not in saved.text
        # A page edits the name and phone without knowing the targets: they are kept.
        patched = await hub.http.patch("/stations/st1", json={"name": "颍州社区站"})
        assert patched.json()["name"] == "颍州社区站"
        assert patched.json()["notify"] == saved.json()["notify"]
        assert patched.json()["phone"] == "0558-1234567"
        with hub.hub.store.sessions() as session:
            from hub.schema import Station

            assert session.get(Station, "st1").notify == [secret]
        bad = await hub.http.patch("/stations/st1", json={"notify": ["nope://pw-xyz@host"]})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "notify", 0]
        assert "pw-xyz" not in bad.text
        assert (await hub.http.patch("/stations/st404", json={"name": "x"})).status_code == 404


async def test_the_install_check_sees_each_reading_once(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        first = (await hub.http.get(f"/homes/{HOME}/arrivals")).json()
        assert first["readings"] == [] and first["events"] == []
        await publish(mosquitto, [telemetry(1, 72)])
        [reading] = await until_arrivals(hub, "readings", 1)
        assert (reading["device"], reading["metric"], reading["value"]) == (
            "band",
            "heart_rate",
            72,
        )
        assert reading["at"].endswith("+08:00")  # the home's time zone
        await publish(mosquitto, [telemetry(2, 75)])
        later = await until_arrivals(hub, "readings", 1, after_reading=reading["id"])
        assert [r["value"] for r in later] == [75]
        assert (await hub.http.get("/homes/h404/arrivals")).status_code == 404
        # A cursor beyond the store's 64-bit ids is the request's fault, not a 500.
        too_far = await hub.http.get(f"/homes/{HOME}/arrivals", params={"after_event": 2**70})
        assert too_far.status_code == 422


async def test_a_home_says_what_its_fixed_sensors_cannot_see(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)  # the typical home: a bathroom radar, a bedside button, a bracelet
        home = (await hub.http.get(f"/homes/{HOME}")).json()
        assert home["blind_spots"] == ["front_door", "bedroom"]
        bed_and_door = [
            *home["config"]["devices"],
            device("bed", "presence", "bed", "zigbee2mqtt:bed"),
            device("front_door", "door", "front_door", "zigbee2mqtt:entrance"),
        ]
        saved = await hub.http.put(f"/homes/{HOME}", json=home_config(devices=bed_and_door))
        assert saved.status_code == 200 and saved.json()["blind_spots"] == []
        listed = (await hub.http.get("/homes")).json()
        assert [h["blind_spots"] for h in listed if h["id"] == HOME] == [[]]


async def test_the_catalog_lists_the_models_a_home_can_have(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        models = (await hub.http.get("/catalog/devices")).json()
        by_model = {m["model"]: m for m in models}
        assert by_model["MCCGQ11LM"]["kind"] == "door"
        assert {m["kind"] for m in models} >= {"bracelet", "sos_button", "door", "fall_radar"}
        anonymous = httpx.AsyncClient(base_url=hub.url)
        assert (await anonymous.get("/catalog/devices")).status_code == 401
        await anonymous.aclose()


async def test_the_docs_page_and_its_assets_are_served_from_the_package():
    transport = httpx.ASGITransport(app=create_app(HubSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
            html = (await http.get(page)).text
            assert f"/docs-assets/{asset}" in html
            assert "cdn." not in html and "fonts.googleapis" not in html
            served_asset = await http.get(f"/docs-assets/{asset}")
            assert served_asset.status_code == 200 and len(served_asset.content) > 100_000
        assert (await http.get("/docs-assets/../../__init__.py")).status_code == 404


async def until_alerts(client: httpx.AsyncClient, count: int) -> list[dict]:
    found: list[dict] = []

    async def check() -> bool:
        found[:] = (await client.get("/alerts")).json()
        return len(found) >= count

    await until_async(check, "the alerts")
    return found


async def until_arrivals(hub, which: str, count: int, **cursor: int) -> list[dict]:
    found: list[dict] = []

    async def check() -> bool:
        answer = await hub.http.get(f"/homes/{HOME}/arrivals", params=cursor)
        found[:] = answer.json()[which]
        return len(found) >= count

    await until_async(check, f"{count} {which}")
    return found


async def until_async(check, what: str, timeout: float = 20.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise TimeoutError(f"waited {timeout:g} s for {what}") from None
