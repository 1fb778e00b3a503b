"""Accounts and scope: every route of the OpenAPI schema, walked with every role.

Two stations, one home each. The dispatcher and the caregiver belong to st1, the family
member is the son of h001's resident. "own" is st1 / h001 / its alert, "other" is st2 /
h002 / its alert. Outside someone's scope a resident does not exist: 404, never 403 (a 403
would tell a family member that the id is real).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import websockets

from tests.support.api_seed import CAREGIVER, two_stations
from tests.support.factories import (
    ADMIN_PASSWORD,
    DISPATCHER,
    FAMILY,
    PASSWORD,
    event_message,
    home_config,
    register,
    seed_care,
    served,
    settings_for,
)
from tests.support.mqtt import publish
from tests.support.served_hub import cookie_of

ROLES = ("admin", "dispatcher", "caregiver", "family", "anonymous")
OK, NOT_YOURS, FORBIDDEN, ANON = {200}, {404}, {403}, {401}
ACTED = {200, 409}  # 409 once an earlier action (resolve) closed the alert


def scoped(read_own_family: set[int] = OK) -> dict[str, tuple[set[int], set[int]]]:
    """A resident-scoped read: each sees their own, nobody sees the other's but the admin."""
    return {
        "admin": (OK, OK),
        "dispatcher": (OK, NOT_YOURS),
        "caregiver": (OK, NOT_YOURS),
        "family": (read_own_family, NOT_YOURS),
    }


def everyone(status: set[int]) -> dict[str, tuple[set[int], set[int]]]:
    return {role: (status, status) for role in ("admin", "dispatcher", "caregiver", "family")}


ADMIN_ONLY = {"admin": (OK, OK)} | {
    role: (FORBIDDEN, FORBIDDEN) for role in ("dispatcher", "caregiver", "family")
}
FAMILY_ONLY = {role: (FORBIDDEN, FORBIDDEN) for role in ("admin", "dispatcher", "caregiver")}
# A browser's push subscription (its keys only need the right sizes); port 9: nobody there.
SUBSCRIPTION = {
    "endpoint": "http://127.0.0.1:9/push/walk",
    "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
}
ACTION = {
    "admin": (ACTED, ACTED),
    "dispatcher": (ACTED, NOT_YOURS),
    "caregiver": (ACTED, NOT_YOURS),
    "family": (FORBIDDEN, NOT_YOURS),
}

# A station's own lists (visit tiers, service types, providers): its dispatcher and the admin
# change them; a caregiver may not, a family does not see the station at all.
STATION_LIST = {
    "admin": (OK, OK),
    "dispatcher": (OK, NOT_YOURS),
    "caregiver": (FORBIDDEN, NOT_YOURS),
    "family": (NOT_YOURS, NOT_YOURS),
}


def created(rules: dict[str, tuple[set[int], set[int]]]) -> dict[str, tuple[set[int], set[int]]]:
    """The same rules for a route that creates: 201 where the other answers 200."""
    return {
        role: tuple({201} if status == OK else status for status in statuses)  # type: ignore[misc]
        for role, statuses in rules.items()
    }


STATION_LIST_ADD = created(STATION_LIST)
# What the station's staff do for a resident (a plan, a visit): not the family's to do.
STAFF = {
    "admin": (OK, OK),
    "dispatcher": (OK, NOT_YOURS),
    "caregiver": (OK, NOT_YOURS),
    "family": (FORBIDDEN, NOT_YOURS),
}
STAFF_ADD = created(STAFF)
# Only the family rates; the walk's order is not done yet, so the family's try is a 409.
RATING = {
    "admin": (FORBIDDEN, FORBIDDEN),
    "dispatcher": (FORBIDDEN, NOT_YOURS),
    "caregiver": (FORBIDDEN, NOT_YOURS),
    "family": ({409}, NOT_YOURS),
}

EXPECTED: dict[tuple[str, str], dict[str, tuple[set[int], set[int]]]] = {
    ("get", "/auth/me"): everyone(OK),
    ("post", "/auth/login"): everyone(OK),
    ("post", "/auth/logout"): everyone({204}),
    # The walk sends a wrong current password: nobody's password changes under it.
    ("post", "/auth/password"): everyone(FORBIDDEN),
    ("get", "/users"): ADMIN_ONLY,
    ("put", "/users/{username}"): ADMIN_ONLY,
    ("delete", "/users/{username}/lock"): ADMIN_ONLY | {"admin": ({404}, {404})},  # not locked
    ("get", "/stations"): everyone(OK),
    ("get", "/stations/{station_id}"): scoped(read_own_family=NOT_YOURS),
    ("put", "/stations/{station_id}"): ADMIN_ONLY,
    ("get", "/homes"): everyone(OK),
    ("get", "/homes/{home_id}"): scoped(),
    ("put", "/homes/{home_id}"): ADMIN_ONLY,
    ("get", "/homes/{home_id}/devices"): scoped(),
    ("get", "/homes/{home_id}/feedback"): ADMIN_ONLY,
    ("put", "/homes/{home_id}/feedback/{kind}"): ADMIN_ONLY,
    ("get", "/residents"): everyone(OK),
    ("get", "/residents/{resident_id}"): scoped(),
    ("get", "/residents/{resident_id}/contacts"): scoped(),
    ("get", "/residents/{resident_id}/history"): scoped(),
    ("get", "/residents/{resident_id}/today"): scoped(),
    # The family calls the station: its name and phone are theirs to see, for their resident.
    ("get", "/residents/{resident_id}/station"): scoped(),
    ("get", "/residents/{resident_id}/reads"): ADMIN_ONLY,
    ("get", "/alerts"): everyone(OK),
    ("get", "/alerts/{alert_id}"): scoped(),
    ("get", "/alerts/{alert_id}/window"): scoped(),
    ("post", "/alerts/{alert_id}/comment"): ACTION,
    ("post", "/alerts/{alert_id}/assign"): ACTION,
    ("post", "/alerts/{alert_id}/acknowledge"): ACTION,
    ("post", "/alerts/{alert_id}/resolve"): ACTION,
    ("post", "/alerts/{alert_id}/reopen"): ACTION,
    ("get", "/visit-tiers"): everyone(OK),
    ("post", "/visit-tiers"): STATION_LIST_ADD,
    ("patch", "/visit-tiers/{item_id}"): STATION_LIST,
    ("get", "/visit-plans"): everyone(OK),
    ("get", "/visit-plans/{resident_id}"): scoped(),
    ("put", "/visit-plans/{resident_id}"): STAFF,
    ("get", "/visits"): everyone(OK),
    ("get", "/visits/due"): everyone(OK),
    ("get", "/visits/{visit_id}"): scoped(),
    ("post", "/visits"): STAFF_ADD,
    ("get", "/service-types"): everyone(OK),
    ("post", "/service-types"): STATION_LIST_ADD,
    ("patch", "/service-types/{item_id}"): STATION_LIST,
    ("get", "/service-providers"): everyone(OK),
    ("post", "/service-providers"): STATION_LIST_ADD,
    ("patch", "/service-providers/{item_id}"): STATION_LIST,
    ("get", "/service-orders"): everyone(OK),
    # The family orders for its resident, the staff for one who phones in.
    ("post", "/service-orders"): {
        role: ({201}, {201} if role == "admin" else NOT_YOURS)
        for role in ("admin", "dispatcher", "caregiver", "family")
    },
    ("get", "/service-orders/{order_id}"): scoped(),
    ("post", "/service-orders/{order_id}/state"): ACTION,
    ("post", "/service-orders/{order_id}/rating"): RATING,
    ("get", "/health"): everyone(OK),
    ("get", "/clock"): everyone(OK),
    ("get", "/catalog/devices"): everyone(OK),
    ("get", "/push/key"): everyone(OK),
    ("post", "/push/subscriptions"): FAMILY_ONLY | {"family": ({201}, {201})},
    ("delete", "/push/subscriptions"): FAMILY_ONLY | {"family": ({204}, {204})},
    ("patch", "/stations/{station_id}"): ADMIN_ONLY,
    ("get", "/homes/{home_id}/arrivals"): ADMIN_ONLY,
    # Deactivations last, each undone right after, so the walk goes on with what it had.
    ("delete", "/users/{username}"): ADMIN_ONLY,
    ("post", "/users/{username}/reactivate"): ADMIN_ONLY,
    ("delete", "/homes/{home_id}"): ADMIN_ONLY,
    ("post", "/homes/{home_id}/reactivate"): ADMIN_ONLY,
}


def credentials(role: str) -> dict[str, str]:
    username = {"admin": "admin", "dispatcher": DISPATCHER, "caregiver": CAREGIVER}
    password = {"admin": ADMIN_PASSWORD, "anonymous": "wrong"}.get(role, PASSWORD)
    return {"username": username.get(role, FAMILY), "password": password}


def body_for(path: str, role: str, target: dict[str, str]) -> object:
    if path == "/auth/login":
        return credentials(role)
    if path == "/auth/password":
        return {"current_password": "not-the-password", "new_password": "fresh-lantern-7302"}
    if path.startswith("/users/"):
        family = {"role": "family", "residents": ["h001"]}
        return {"name": "新用户", "password": "long-enough", **family}
    if path.startswith("/stations/"):
        return {"name": "站"}
    if path == "/push/subscriptions":
        return SUBSCRIPTION
    if path.endswith("/feedback/{kind}"):
        return {"factor": 1.25, "note": "the walk"}
    if path.endswith("/{item_id}"):
        return {"active": True}
    care = care_body(path, target)
    if care is not None:
        return care
    if path.startswith("/homes/") and path.count("/") == 2:
        station = "st1" if target["home_id"] == "h001" else "st2"
        return home_config(target["home_id"], station=station)
    return {
        "comment": {"text": "已电话联系"},
        "assign": {"assignee": "志愿者 王"},
        "resolve": {"outcome": "handled"},
    }.get(path.rsplit("/", 1)[-1])


def care_body(path: str, target: dict[str, str]) -> object:
    """Bodies of the care operations' routes (#16), for the target's station or resident."""
    station, resident = target["station_id"], target["resident_id"]
    new = {
        "/visit-tiers": {"name_zh": "每月上门", "name_en": "Monthly home visit",
                         "every_days": 30, "method": "home"},
        "/service-types": {"code": "repair", "name_zh": "维修", "name_en": "Repairs"},
        "/service-providers": {"name": "志愿者 周", "kind": "volunteer"},
    }.get(path)  # fmt: skip
    if new is not None:
        return {"station": station, **new}
    if path == "/visit-plans/{resident_id}":
        return {"tier": int(target["tier"]), "responsible": "王芳"}
    if path == "/visits":
        return {"resident": resident, "method": "phone", "reached": True}
    if path == "/service-orders":
        wanted = "2026-12-06T11:30:00"
        return {"resident": resident, "type": int(target["type"]), "wanted_at": wanted}
    return {"state": {"to": "accepted"}, "rating": {"rating": 5}}.get(path.rsplit("/", 1)[-1])


async def seed_care_of(hub, station: str, resident: str) -> dict[str, str]:
    """A station's lists, its resident's plan, a visit and an order: the walk's ids."""
    care = await seed_care(hub, station)
    plan = {"tier": care["daily"], "responsible": "王芳"}
    (await hub.http.put(f"/visit-plans/{resident}", json=plan)).raise_for_status()
    visit = {"resident": resident, "method": "phone", "reached": False}
    visit_id = (await hub.http.post("/visits", json=visit)).json()["id"]
    order = {"resident": resident, "type": care["meal"], "wanted_at": "2026-12-06T11:30:00"}
    order_id = (await hub.http.post("/service-orders", json=order)).json()["id"]
    return {
        "tier": str(care["daily"]), "type": str(care["meal"]), "visit_id": str(visit_id),
        "order_id": str(order_id), "/visit-tiers": str(care["daily"]),
        "/service-types": str(care["meal"]), "/service-providers": str(care["canteen"]),
    }  # fmt: skip


async def test_every_route_with_every_role(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        alerts = await two_stations(hub, mosquitto)
        own = {"station_id": "st1", "home_id": "h001", "resident_id": "h001",
               "alert_id": str(alerts["h001"]), "username": "new.user",
               "kind": "no_activity"}  # fmt: skip
        other = {"station_id": "st2", "home_id": "h002", "resident_id": "h002",
                 "alert_id": str(alerts["h002"]), "username": "new.user",
                 "kind": "no_activity"}  # fmt: skip
        own |= await seed_care_of(hub, "st1", "h001")
        other |= await seed_care_of(hub, "st2", "h002")
        clients = {
            "admin": hub.http,
            "dispatcher": await hub.client_for(DISPATCHER),
            "caregiver": await hub.client_for(CAREGIVER),
            "family": await hub.client_for(FAMILY),
            "anonymous": httpx.AsyncClient(base_url=hub.url),
        }
        schema = (await hub.http.get("/openapi.json")).json()
        routes = {(m, p) for p, operations in schema["paths"].items() for m in operations}
        assert routes == set(EXPECTED), "a route without its access rules in this table"

        failures = []
        for (method, path), by_role in EXPECTED.items():
            for role in ROLES:
                for which, target in (("own", own), ("other", other)):
                    if role == "anonymous":  # the health probe; logging out is harmless
                        allowed = {"/health": OK, "/clock": OK, "/auth/logout": {204}}.get(
                            path, ANON
                        )
                    else:
                        allowed = by_role[role][0 if which == "own" else 1]
                    client = clients[role]
                    if path == "/auth/logout" and role != "anonymous":
                        # log out a session of its own, not the one the walk goes on with
                        client = httpx.AsyncClient(base_url=hub.url)
                        await client.post("/auth/login", json=credentials(role))
                    list_path = "/" + path.split("/")[1]
                    url = path.format(**target, item_id=target.get(list_path, ""))
                    response = await client.request(method, url, json=body_for(path, role, target))
                    if response.status_code not in allowed:
                        answer = f"{response.status_code} {response.text[:120]}"
                        failures.append(f"{role} {method.upper()} {url} ({which}): {answer}")
        await clients["anonymous"].aclose()
        assert not failures, "\n".join(failures)

        # Lists are filtered, not refused.
        family, dispatcher = clients["family"], clients["dispatcher"]
        assert {a["home"] for a in (await family.get("/alerts?state=all")).json()} == {"h001"}
        assert [r["id"] for r in (await family.get("/residents")).json()] == ["h001"]
        assert (await family.get("/stations")).json() == []
        station = (await family.get("/residents/h001/station")).json()
        assert station["id"] == "st1" and set(station) == {"id", "name", "phone"}
        assert [r["id"] for r in (await dispatcher.get("/residents")).json()] == ["h001"]
        assert {a["station"] for a in (await dispatcher.get("/alerts?state=all")).json()} == {"st1"}
        # Every action was recorded with who did it.
        story = (await hub.http.get(f"/alerts/{alerts['h001']}")).json()["history"]
        # (the hub records itself: the notifications it had no channel for)
        people = {c["actor"] for c in story if c["action"] not in ("raised", "no_channel")}
        assert people <= {"Administrator", "张丽", "王芳"} and "张丽" in people


async def test_the_websocket_shows_each_user_only_their_residents(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        await hub.http.put("/homes/h002", json=home_config("h002", station="st2"))
        family = await hub.client_for(FAMILY)
        dispatcher = await hub.client_for(DISPATCHER)
        async with (
            websockets.connect(hub.ws_url, additional_headers=cookie_of(family)) as family_ws,
            websockets.connect(
                hub.ws_url, additional_headers=cookie_of(dispatcher)
            ) as dispatcher_ws,
            # Asking for the other station's home narrows to nothing, it does not widen.
            websockets.connect(
                f"{hub.ws_url}?resident=h002", additional_headers=cookie_of(family)
            ) as prying_ws,
        ):
            for ws in (family_ws, dispatcher_ws, prying_ws):
                assert json.loads(await ws.recv())["type"] == "hello"
            await publish(mosquitto, [event_message("fall", seq=1, home="h002")])
            await publish(mosquitto, [event_message("sos", seq=2, home="h001")])
            # The fall in h002 came first; the first thing each of them sees is h001's SOS.
            for ws in (family_ws, dispatcher_ws):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert (frame["resident"], frame["data"]["alert"]["kind"]) == ("h001", "sos")
            with contextlib.suppress(TimeoutError):
                frame = await asyncio.wait_for(prying_ws.recv(), 0.5)
                raise AssertionError(f"a family member saw another home: {frame}")
        # Without a session the socket is refused.
        try:
            async with websockets.connect(hub.ws_url) as anonymous:
                await anonymous.recv()
            raise AssertionError("an anonymous WebSocket was accepted")
        except websockets.exceptions.WebSocketException:
            pass
