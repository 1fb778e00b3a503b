"""An institution seeded through the API as the ward tests need it: institution inst1 (a
station whose nurse station is told through ``station_notify``), unit 3F with rooms 301 and
302, residents in beds 301-1 (r301a) and 302-1 (r302a), bed 301-2 empty; caregivers on shift
(cg.a for room 301, cg.b for room 302), a nurse, a head nurse, and the daughter of r301a."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.support.factories import PASSWORD, Served, ward_config

INSTITUTION = "inst1"
CAREGIVER_A, CAREGIVER_B = "cg.a", "cg.b"
NURSE, HEAD_NURSE, DAUGHTER = "ns.x", "hn.y", "zhao.min"
PHONES = {CAREGIVER_A: "13900000001", CAREGIVER_B: "13900000002", HEAD_NURSE: "13900000009"}


@dataclass(frozen=True)
class Ward:
    unit: int
    rooms: dict[str, int]  # name -> id
    beds: dict[str, int]  # "301-1" -> id
    shifts: dict[str, int]  # caregiver -> shift id


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


async def ok(response):  # type: ignore[no-untyped-def]
    assert response.status_code in (200, 201), f"{response.request.url}: {response.text}"
    return response.json()


async def seed_ward(
    hub: Served,
    *,
    institution: str = INSTITUTION,
    station_notify: list[str] | None = None,
    delays: dict[str, float] | None = None,
    severities: dict[str, str] | None = None,
    suffix: str = "",
) -> Ward:
    http = hub.http
    await ok(
        await http.put(
            f"/stations/{institution}", json={"name": "颐和养老院", "notify": station_notify or []}
        )
    )
    body = {
        "station_after_s": 120,
        "head_nurse_after_s": 300,
        "repeat_s": 300,
        **(delays or {}),
        "severities": severities or {},
    }
    await ok(await http.put(f"/institutions/{institution}", json=body))
    unit = await ok(await http.post("/units", json={"institution": institution, "name": "3F"}))
    rooms = {}
    for name in ("301", "302"):
        room = await ok(await http.post("/rooms", json={"unit": unit["id"], "name": name}))
        rooms[name] = room["id"]
    beds = {}
    for room, bed in (("301", "1"), ("301", "2"), ("302", "1")):
        made = await ok(await http.post("/beds", json={"room": rooms[room], "name": bed}))
        beds[f"{room}-{bed}"] = made["id"]
    for home, room in ((f"r301a{suffix}", "301"), (f"r302a{suffix}", "302")):
        config = ward_config(home, institution, "3F", room, "1")
        await ok(await http.put(f"/homes/{home}", json=config))
    users = {
        CAREGIVER_A + suffix: {"name": "护工甲", "role": "caregiver", "stations": [institution]},
        CAREGIVER_B + suffix: {"name": "护工乙", "role": "caregiver", "stations": [institution]},
        NURSE + suffix: {"name": "护士站", "role": "nurse", "stations": [institution]},
        HEAD_NURSE + suffix: {"name": "护士长", "role": "head_nurse", "stations": [institution]},
        DAUGHTER + suffix: {"name": "赵敏", "role": "family", "residents": [f"r301a{suffix}"]},
    }
    for username, user in users.items():
        phone = PHONES.get(username.removesuffix(suffix) if suffix else username)
        await ok(
            await http.put(
                f"/users/{username}", json={**user, "phone": phone, "password": PASSWORD}
            )
        )
    now = time.time()
    shifts = {}
    for caregiver, room in ((CAREGIVER_A + suffix, "301"), (CAREGIVER_B + suffix, "302")):
        shift = {
            "institution": institution,
            "caregiver": caregiver,
            "starts_at": iso(now - 3600),
            "ends_at": iso(now + 8 * 3600),
            "rooms": [rooms[room]],
        }
        shifts[caregiver] = (await ok(await http.post("/shifts", json=shift)))["id"]
    return Ward(unit["id"], rooms, beds, shifts)
