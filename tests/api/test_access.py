"""Accounts and scope: every route of the OpenAPI schema, walked with every role.

Two stations, one home each, each in a district of its own city (st1 in d1 of c1, st2 in d2
of c2). The dispatcher and the caregiver belong to st1, the family member is the son of
h001's resident, the district account oversees d1, the city account c1 (both read-only).
Both stations are also institutions (a unit, a room and a bed each, h001 and h002 in them):
the nurse and the head nurse belong to st1, and the caregiver is on shift for h001's room
(an institution's caregiver sees her shift's rooms). "own" is st1 / h001 / its alert,
"other" is st2 / h002 / its alert. Outside someone's scope a resident does not exist: 404,
never 403 (a 403 would tell a family member that the id is real).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime, timedelta

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

ROLES = (
    "admin", "dispatcher", "caregiver", "family", "district", "city", "nurse", "head_nurse",
    "anonymous",
)  # fmt: skip
STAFF = ("dispatcher", "caregiver", "family", "district", "city")  # everyone but the admin
DISTRICT, CITY = "qu.zhao", "shi.qian"
NURSE, HEAD_NURSE, OTHER_CAREGIVER = "nurse.walk", "head.walk", "carer.st2"
CREATED = {201}
OK, NOT_YOURS, FORBIDDEN, ANON = {200}, {404}, {403}, {401}
ACTED = {200, 409}  # 409 once an earlier action (resolve) closed the alert


def scoped(read_own_family: set[int] = OK) -> dict[str, tuple[set[int], set[int]]]:
    """A resident-scoped read: each sees their own, nobody sees the other's but the admin."""
    return {
        "admin": (OK, OK),
        "dispatcher": (OK, NOT_YOURS),
        "caregiver": (OK, NOT_YOURS),
        "family": (read_own_family, NOT_YOURS),
        "district": (OK, NOT_YOURS),
        "city": (OK, NOT_YOURS),
    }


def everyone(status: set[int]) -> dict[str, tuple[set[int], set[int]]]:
    return {role: (status, status) for role in ("admin", *STAFF)}


ADMIN_ONLY = {"admin": (OK, OK)} | {role: (FORBIDDEN, FORBIDDEN) for role in STAFF}
FAMILY_ONLY = {role: (FORBIDDEN, FORBIDDEN) for role in ("admin", *STAFF) if role != "family"} | {
    "family": (OK, OK)
}
# Reports: every account of a station or above; the family has none.
NOT_FAMILY = everyone(OK) | {"family": (FORBIDDEN, FORBIDDEN)}
# A city or district: the family sees none; staff those of their stations.
AREA = scoped(read_own_family=NOT_YOURS)
IN_USE = ADMIN_ONLY | {"admin": ({409}, {409})}  # an area with something below it stays
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
    "district": (FORBIDDEN, NOT_YOURS),
    "city": (FORBIDDEN, NOT_YOURS),
}

# A station's own lists (visit tiers, service types, providers): its dispatcher and the admin
# change them; a caregiver may not, a family does not see the station at all.
STATION_LIST = {
    "admin": (OK, OK),
    "dispatcher": (OK, NOT_YOURS),
    "caregiver": (FORBIDDEN, NOT_YOURS),
    "family": (NOT_YOURS, NOT_YOURS),
} | {role: (FORBIDDEN, NOT_YOURS) for role in ("district", "city", "nurse", "head_nurse")}


def created(rules: dict[str, tuple[set[int], set[int]]]) -> dict[str, tuple[set[int], set[int]]]:
    """The same rules for a route that creates: 201 where the other answers 200."""
    return {
        role: tuple({201} if status == OK else status for status in statuses)  # type: ignore[misc]
        for role, statuses in rules.items()
    }


STATION_LIST_ADD = created(STATION_LIST)
# What the station's staff do for a resident (a plan, a visit): not the family's to do.
CARE_WORK = {
    "admin": (OK, OK),
    "dispatcher": (OK, NOT_YOURS),
    "caregiver": (OK, NOT_YOURS),
    "family": (FORBIDDEN, NOT_YOURS),
    "district": (FORBIDDEN, NOT_YOURS),
    "city": (FORBIDDEN, NOT_YOURS),
}
CARE_WORK_ADD = created(CARE_WORK)
# Only the family rates; the walk's order is not done yet, so the family's try is a 409.
RATING = {
    "admin": (FORBIDDEN, FORBIDDEN),
    "dispatcher": (FORBIDDEN, NOT_YOURS),
    "caregiver": (FORBIDDEN, NOT_YOURS),
    "family": ({409}, NOT_YOURS),
}

# Absences (外出登记): the family of its resident, the station's dispatchers and an admin
# announce and end them; the station's other staff and the areas' accounts read them. The
# admin ends the walk's absence first: the others who may are then told it is over (409).
READ_ONLY_STAFF = ("caregiver", "district", "city", "nurse", "head_nurse")
AWAY_ANNOUNCE = {
    "admin": (CREATED, CREATED),
    "dispatcher": (CREATED, NOT_YOURS),
    "family": (CREATED, NOT_YOURS),
} | {role: (FORBIDDEN, NOT_YOURS) for role in READ_ONLY_STAFF}
AWAY_END = {
    "admin": (OK, OK),
    "dispatcher": ({409}, NOT_YOURS),
    "family": ({409}, NOT_YOURS),
} | {role: (FORBIDDEN, NOT_YOURS) for role in READ_ONLY_STAFF}

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
    ("get", "/residents/{resident_id}/away"): scoped(),
    ("post", "/residents/{resident_id}/away"): AWAY_ANNOUNCE,
    ("post", "/residents/{resident_id}/away/{away_id}/end"): AWAY_END,
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
    ("put", "/visit-plans/{resident_id}"): CARE_WORK,
    ("get", "/visits"): everyone(OK),
    ("get", "/visits/due"): everyone(OK),
    ("get", "/visits/{visit_id}"): scoped(),
    ("post", "/visits"): CARE_WORK_ADD,
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
    }
    | {role: (FORBIDDEN, NOT_YOURS) for role in ("district", "city")},
    ("get", "/service-orders/{order_id}"): scoped(),
    ("post", "/service-orders/{order_id}/state"): ACTION,
    ("post", "/service-orders/{order_id}/rating"): RATING,
    ("get", "/health"): everyone(OK),
    ("get", "/clock"): everyone(OK),
    ("get", "/catalog/devices"): everyone(OK),
    ("get", "/push/key"): everyone(OK),
    ("post", "/push/subscriptions"): FAMILY_ONLY | {"family": ({201}, {201})},
    ("delete", "/push/subscriptions"): FAMILY_ONLY | {"family": ({204}, {204})},
    ("get", "/cities"): everyone(OK),
    ("get", "/cities/{city_id}"): AREA,
    ("put", "/cities/{city_id}"): ADMIN_ONLY,
    ("delete", "/cities/{city_id}"): IN_USE,
    ("get", "/districts"): everyone(OK),
    ("get", "/districts/{district_id}"): AREA,
    ("put", "/districts/{district_id}"): ADMIN_ONLY,
    ("patch", "/districts/{district_id}"): ADMIN_ONLY,
    ("delete", "/districts/{district_id}"): IN_USE,
    # Taken out of its district and put back at once, so the walk goes on with what it had.
    ("delete", "/districts/{district_id}/stations/{station_id}"): ADMIN_ONLY
    | {"admin": ({204}, {204})},
    ("put", "/districts/{district_id}/stations/{station_id}"): ADMIN_ONLY,
    ("get", "/reports/monthly"): NOT_FAMILY,
    ("get", "/reports/monthly.csv"): NOT_FAMILY,
    ("get", "/reports/overview"): NOT_FAMILY,
    ("get", "/summaries"): FAMILY_ONLY,
    ("get", "/summaries/time"): FAMILY_ONLY,
    ("put", "/summaries/time"): FAMILY_ONLY,
    ("patch", "/stations/{station_id}"): ADMIN_ONLY,
    ("get", "/homes/{home_id}/arrivals"): ADMIN_ONLY,
    # Institutions (a station with beds): its staff, and a caregiver for her shift's rooms.
    ("get", "/institutions"): everyone(OK),
    ("get", "/institutions/{institution_id}"): scoped(read_own_family=NOT_YOURS),
    ("put", "/institutions/{institution_id}"): ADMIN_ONLY,
    ("post", "/units"): ADMIN_ONLY | {"admin": (CREATED, CREATED)},
    ("get", "/units/{unit_id}/floor"): scoped(read_own_family=NOT_YOURS),
    ("post", "/rooms"): ADMIN_ONLY | {"admin": (CREATED, CREATED)},
    ("post", "/beds"): ADMIN_ONLY | {"admin": (CREATED, CREATED)},
    ("put", "/beds/{bed_id}/resident"): ADMIN_ONLY,
    ("get", "/beds/{bed_id}/history"): scoped(read_own_family=NOT_YOURS),
    ("get", "/shifts"): everyone(OK),
    # The head nurse plans her institution's shifts.
    ("post", "/shifts"): ADMIN_ONLY
    | {"admin": (CREATED, CREATED), "head_nurse": (CREATED, NOT_YOURS)},
    ("put", "/shifts/{shift_id}"): ADMIN_ONLY | {"head_nurse": (OK, NOT_YOURS)},
    ("post", "/rounds"): scoped(read_own_family=NOT_YOURS)
    | {role: (CREATED, NOT_YOURS) for role in ("dispatcher", "caregiver", "nurse", "head_nurse")}
    | {"admin": (CREATED, CREATED)}
    | {"district": (FORBIDDEN, NOT_YOURS), "city": (FORBIDDEN, NOT_YOURS)},
    ("get", "/rounds"): scoped(read_own_family=NOT_YOURS),
    # Deactivations last, each undone right after, so the walk goes on with what it had.
    ("delete", "/users/{username}"): ADMIN_ONLY,
    ("post", "/users/{username}/reactivate"): ADMIN_ONLY,
    ("delete", "/homes/{home_id}"): ADMIN_ONLY,
    ("post", "/homes/{home_id}/reactivate"): ADMIN_ONLY,
}


# What the console offers only to an account that acts (GET /auth/me acts_on_alerts).
STATION_ACTIONS = (
    "/alerts/{alert_id}/acknowledge", "/alerts/{alert_id}/assign", "/alerts/{alert_id}/comment",
    "/alerts/{alert_id}/resolve", "/alerts/{alert_id}/reopen", "/visits",
)  # fmt: skip


def expected(by_role: dict[str, tuple[set[int], set[int]]], role: str) -> tuple[set[int], set[int]]:
    """A nurse and a head nurse are staff of st1 like its dispatcher, unless the table says."""
    return by_role.get(role) or by_role["dispatcher"]


def credentials(role: str) -> dict[str, str]:
    username = {"admin": "admin", "dispatcher": DISPATCHER, "caregiver": CAREGIVER,
                "district": DISTRICT, "city": CITY,
                "nurse": NURSE, "head_nurse": HEAD_NURSE}  # fmt: skip
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
    if path == "/districts/{district_id}":
        return {"name": "区", "city": "c1" if target["district_id"] == "d1" else "c2"}
    if path == "/cities/{city_id}":
        return {"name": "市"}
    if path == "/summaries/time":
        return {"at": "07:30"}
    if path == "/push/subscriptions":
        return SUBSCRIPTION
    if path.endswith("/feedback/{kind}"):
        return {"factor": 1.25, "note": "the walk"}
    if path.endswith("/{item_id}"):
        return {"active": True}
    if path.endswith("/away"):  # from tomorrow, for a day: each role's own
        return {"start": f"{tomorrow()}T09:00:00", "end": f"{tomorrow()}T18:00:00"}
    care = care_body(path, target)
    if care is not None:
        return care
    if path.startswith("/homes/") and path.count("/") == 2:
        station = "st1" if target["home_id"] == "h001" else "st2"
        return home_config(target["home_id"], station=station, place=target["place"])
    if path.startswith("/institutions/"):
        return {"severities": {"bed_exit": "critical"}}
    if path in ("/units", "/rooms", "/beds"):
        parent = {"/units": "institution", "/rooms": "unit", "/beds": "room"}[path]
        value = target["station_id"] if parent == "institution" else int(target[f"{parent}_id"])
        return {parent: value, "name": f"walk-{role}"[:16]}
    if path.endswith("/resident"):
        return {"resident": target["home_id"]}
    if path.startswith("/shifts"):
        return target["shift"]
    if path == "/rounds":
        return {"room": int(target["room_id"]), "note": "the walk"}
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


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


async def seed_away(hub, resident: str) -> dict[str, str]:
    """An absence of the resident going on now: the walk's id to end."""
    start = datetime.now(UTC) - timedelta(hours=1)
    span = {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()}
    made = await hub.http.post(f"/residents/{resident}/away", json=span)
    assert made.status_code == 201, made.text
    return {"away_id": made.json()["id"]}


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
        await two_districts(hub)
        own = {"station_id": "st1", "home_id": "h001", "resident_id": "h001",
               "alert_id": str(alerts["h001"]), "username": "new.user",
               "kind": "no_activity", "city_id": "c1", "district_id": "d1"}  # fmt: skip
        other = {"station_id": "st2", "home_id": "h002", "resident_id": "h002",
                 "alert_id": str(alerts["h002"]), "username": "new.user",
                 "kind": "no_activity", "city_id": "c2", "district_id": "d2"}  # fmt: skip
        places = await institutions(hub)
        own |= places["st1"]
        other |= places["st2"]
        own |= await seed_care_of(hub, "st1", "h001")
        other |= await seed_care_of(hub, "st2", "h002")
        own |= await seed_away(hub, "h001")
        other |= await seed_away(hub, "h002")
        clients = {
            "admin": hub.http,
            "dispatcher": await hub.client_for(DISPATCHER),
            "caregiver": await hub.client_for(CAREGIVER),
            "family": await hub.client_for(FAMILY),
            "district": await hub.client_for(DISTRICT),
            "city": await hub.client_for(CITY),
            "nurse": await hub.client_for(NURSE),
            "head_nurse": await hub.client_for(HEAD_NURSE),
            "anonymous": httpx.AsyncClient(base_url=hub.url),
        }
        schema = (await hub.http.get("/openapi.json")).json()
        routes = {(m, p) for p, operations in schema["paths"].items() for m in operations}
        assert routes == set(EXPECTED), "a route without its access rules in this table"

        failures = []
        answered: dict[tuple[str, str, str, str], int] = {}  # (role, method, path, which)
        for (method, path), by_role in EXPECTED.items():
            for role in ROLES:
                for which, target in (("own", own), ("other", other)):
                    if role == "anonymous":  # the health probe; logging out is harmless
                        allowed = {"/health": OK, "/clock": OK, "/auth/logout": {204}}.get(
                            path, ANON
                        )
                    else:
                        allowed = expected(by_role, role)[0 if which == "own" else 1]
                    client = clients[role]
                    if path == "/auth/logout" and role != "anonymous":
                        # log out a session of its own, not the one the walk goes on with
                        # (as patient as the walk's clients: argon2 on a busy machine)
                        client = httpx.AsyncClient(base_url=hub.url, timeout=30)
                        await client.post("/auth/login", json=credentials(role))
                    list_path = "/" + path.split("/")[1]
                    url = path.format(**target, item_id=target.get(list_path, ""))
                    query = {"room": target["room_id"]} if path == "/rounds" else None
                    if path.startswith("/reports/monthly"):
                        query = {"month": "2026-12"}
                    body = body_for(path, role, target)
                    response = await client.request(method, url, json=body, params=query)
                    answered[role, method, path, which] = response.status_code
                    if response.status_code not in allowed:
                        answer = f"{response.status_code} {response.text[:120]}"
                        failures.append(f"{role} {method.upper()} {url} ({which}): {answer}")
        await clients["anonymous"].aclose()
        assert not failures, "\n".join(failures)

        # What /auth/me tells the pages an account may do is what the API let it do: the
        # console offers the station's actions to exactly the accounts not refused them.
        refused = {
            role: {answered[role, "post", path, "own"] == 403 for path in STATION_ACTIONS}
            for role in ROLES
            if role != "anonymous"
        }
        told = {
            role: {not (await clients[role].get("/auth/me")).json()["acts_on_alerts"]}
            for role in refused
        }
        assert told == refused

        # Lists are filtered, not refused.
        family, dispatcher = clients["family"], clients["dispatcher"]
        assert {a["home"] for a in (await family.get("/alerts?state=all")).json()} == {"h001"}
        assert [r["id"] for r in (await family.get("/residents")).json()] == ["h001"]
        assert (await family.get("/stations")).json() == []
        station = (await family.get("/residents/h001/station")).json()
        assert station["id"] == "st1" and set(station) == {"id", "name", "phone"}
        assert [r["id"] for r in (await dispatcher.get("/residents")).json()] == ["h001"]
        assert {a["station"] for a in (await dispatcher.get("/alerts?state=all")).json()} == {"st1"}
        # A supervisor's lists are their stations' only.
        for role in ("district", "city"):
            supervisor = clients[role]
            assert [r["id"] for r in (await supervisor.get("/residents")).json()] == ["h001"]
            assert {a["station"] for a in (await supervisor.get("/alerts?state=all")).json()} == {
                "st1"
            }
            overview = (await supervisor.get("/reports/overview")).json()
            assert [s["id"] for s in overview] == ["st1"]
        # Every action was recorded with who did it.
        story = (await hub.http.get(f"/alerts/{alerts['h001']}")).json()["history"]
        # (the hub records itself: the notifications it had no channel for)
        people = {c["actor"] for c in story if c["action"] not in ("raised", "no_channel")}
        assert people <= {"Administrator", "张丽", "王芳", "护士", "护士长"} and "张丽" in people
        # The caregiver's shift still holds her room: h001 only, st2's institution unseen.
        caregiver = clients["caregiver"]
        assert [r["id"] for r in (await caregiver.get("/residents")).json()] == ["h001"]
        assert [i["id"] for i in (await caregiver.get("/institutions")).json()] == ["st1"]
        assert (await clients["family"].get("/institutions")).json() == []
        assert {s["institution"] for s in (await clients["nurse"].get("/shifts")).json()} == {"st1"}


async def institutions(hub) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """st1 and st2 made institutions, a unit, room and bed each with h001 and h002 in them;
    the nurse, head nurse and st2's caregiver; CAREGIVER on shift for h001's room. The
    ids and bodies of each, as the walk's targets."""
    now = time.time()
    found: dict[str, dict[str, object]] = {}
    for station, home, caregiver in (("st1", "h001", CAREGIVER), ("st2", "h002", OTHER_CAREGIVER)):
        assert (await hub.http.put(f"/institutions/{station}", json={})).status_code == 200
        unit = (await hub.http.post("/units", json={"institution": station, "name": "1F"})).json()
        room = (await hub.http.post("/rooms", json={"unit": unit["id"], "name": "101"})).json()
        bed = (await hub.http.post("/beds", json={"room": room["id"], "name": "1"})).json()
        moved = await hub.http.put(f"/beds/{bed['id']}/resident", json={"resident": home})
        assert moved.status_code == 200, moved.text
        if caregiver == OTHER_CAREGIVER:
            body = {
                "name": "护工",
                "role": "caregiver",
                "stations": [station],
                "password": PASSWORD,
            }
            assert (await hub.http.put(f"/users/{caregiver}", json=body)).status_code == 200
        shift = {"institution": station, "caregiver": caregiver,
                 "starts_at": datetime.fromtimestamp(now - 3600, UTC).isoformat(),
                 "ends_at": datetime.fromtimestamp(now + 12 * 3600, UTC).isoformat(),
                 "rooms": [room["id"]]}  # fmt: skip
        made = await hub.http.post("/shifts", json=shift)
        assert made.status_code == 201, made.text
        place = {"institution": station, "unit": "1F", "room": "101", "bed": "1"}
        found[station] = {
            "institution_id": station, "unit_id": str(unit["id"]), "room_id": str(room["id"]),
            "bed_id": str(bed["id"]), "shift_id": str(made.json()["id"]), "shift": shift,
            "place": place,
        }  # fmt: skip
    for username, name, role in ((NURSE, "护士", "nurse"), (HEAD_NURSE, "护士长", "head_nurse")):
        body = {"name": name, "role": role, "stations": ["st1"], "password": PASSWORD}
        assert (await hub.http.put(f"/users/{username}", json=body)).status_code == 200
    return found


async def two_districts(hub) -> None:  # type: ignore[no-untyped-def]
    """st1 in d1 of c1, st2 in d2 of c2; a district account of d1 and a city account of c1."""
    for n in ("1", "2"):
        assert (await hub.http.put(f"/cities/c{n}", json={"name": f"市{n}"})).status_code == 200
        district = {"name": f"区{n}", "city": f"c{n}"}
        assert (await hub.http.put(f"/districts/d{n}", json=district)).status_code == 200
        assert (await hub.http.put(f"/districts/d{n}/stations/st{n}")).status_code == 200
    for username, role, area in ((DISTRICT, "district", "d1"), (CITY, "city", "c1")):
        account = {"name": username, "role": role, "areas": [area], "password": PASSWORD}
        assert (await hub.http.put(f"/users/{username}", json=account)).status_code == 200


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
