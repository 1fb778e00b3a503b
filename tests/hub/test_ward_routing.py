"""An institution's alert, through a real broker and the hub's ingest to a real SQLite
store: first the phone of the caregiver on duty for the room, then the nurse station, then
the head nurse; acknowledged by the caregiver, who did what stays in the alert's history."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from hub.schema import OutgoingMessage
from tests.support.factories import PREFIX, event_message, served, settings_for
from tests.support.mqtt import publish, until
from tests.support.ward_seed import CAREGIVER_A, CAREGIVER_B, PHONES, seed_ward


def told(receiver) -> list[str]:  # type: ignore[no-untyped-def]
    """Who was told, in order: a phone number, or "station"."""
    return [
        r.path.rsplit("/", 1)[-1] if r.path.startswith("/sms/") else "station"
        for r in receiver.requests
    ]


async def arrived(receiver, n: int, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    await asyncio.to_thread(receiver.wait_for, n, timeout)


async def history(hub, alert_id: int) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    story = (await hub.http.get(f"/alerts/{alert_id}")).json()["history"]
    return [(c["actor"], c["action"], c["detail"]) for c in story]


async def test_a_bed_exit_goes_to_the_caregiver_on_duty_then_the_nurse_station_then_the_head_nurse(
    mosquitto, tmp_path, http_receiver
):
    sms = {"sms": http_receiver.url("/sms/{phone}")}
    settings = settings_for(mosquitto, tmp_path, contact_targets=sms)
    async with served(settings) as hub:
        delays = {"station_after_s": 1.0, "head_nurse_after_s": 2.0, "repeat_s": 60}
        await seed_ward(hub, station_notify=[http_receiver.url("/station")], delays=delays)
        raised = time.monotonic()
        await publish(mosquitto, [event_message("bed_exit", seq=1, home="r301a", severity="major")])
        await arrived(http_receiver, 1, 10)
        # Only the caregiver on duty for room 301 at first; not the one of room 302.
        assert told(http_receiver) == [PHONES[CAREGIVER_A]]
        await arrived(http_receiver, 3, 15)
        assert told(http_receiver) == [PHONES[CAREGIVER_A], "station", PHONES["hn.y"]]
        assert time.monotonic() - raised >= 2.0  # the head nurse after her delay, not at once
        (alert,) = (await hub.http.get("/alerts")).json()
        assert alert["assignee"] == CAREGIVER_A and alert["escalation_step"] == 2

        caregiver = await hub.client_for(CAREGIVER_A)
        acked = await caregiver.post(f"/alerts/{alert['id']}/acknowledge")
        assert acked.status_code == 200, acked.text
        story = await history(hub, alert["id"])
        actions = [(actor, action) for actor, action, _ in story]
        assert actions[:2] == [("edge:r301a", "raised"), ("hub", "routed")]
        assert story[1][2] == {"to": [CAREGIVER_A], "room": "301"}
        escalated = [detail for _, action, detail in story if action == "escalated"]
        assert [(d["step"], d["notify"]) for d in escalated] == [
            (1, ["station"]),
            (2, ["head_nurse"]),
        ]
        assert ("护工甲", "acknowledged") in actions
        # Her bedside speaker hears that a caregiver is coming (not "the station").
        with hub.hub.store.sessions() as session:
            (command,) = session.scalars(select(OutgoingMessage.payload).where(
                OutgoingMessage.topic == f"{PREFIX}/r301a/command")).all()  # fmt: skip
        assert json.loads(command)["text"] == "护理员已收到您的呼叫，马上就到。"
        # Acknowledged: the head nurse is not told again.
        count = len(http_receiver.requests)
        await asyncio.sleep(1.5)
        assert len(http_receiver.requests) == count


async def test_with_nobody_on_duty_for_the_room_the_nurse_station_is_told_at_once(
    mosquitto, tmp_path, http_receiver
):
    sms = {"sms": http_receiver.url("/sms/{phone}")}
    settings = settings_for(mosquitto, tmp_path, contact_targets=sms)
    async with served(settings) as hub:
        ward = await seed_ward(
            hub,
            station_notify=[http_receiver.url("/station")],
            delays={"station_after_s": 60, "head_nurse_after_s": 120},
        )
        # cg.b's shift for room 302 ends now.
        shift = (await hub.http.get("/shifts", params={"institution": "inst1"})).json()
        mine = next(s for s in shift if s["caregiver"] == CAREGIVER_B)
        body = {
            "institution": "inst1",
            "caregiver": CAREGIVER_B,
            "starts_at": mine["starts_at"],
            "ends_at": _seconds_later(mine["starts_at"], 60),
            "rooms": mine["rooms"],
        }
        changed = await hub.http.put(f"/shifts/{ward.shifts[CAREGIVER_B]}", json=body)
        assert changed.status_code == 200 and not changed.json()["on_duty"], changed.text
        await publish(mosquitto, [event_message("call", seq=1, home="r302a", severity="major")])
        await arrived(http_receiver, 1, 10)
        assert told(http_receiver) == ["station"]
        await until(lambda: bool(hub.hub.ingestor.counts.events))
        (alert,) = (await hub.http.get("/alerts")).json()
        assert alert["assignee"] is None
        story = await history(hub, alert["id"])
        assert ("hub", "no_caregiver_on_duty", {"room": "302"}) in story


async def test_an_institution_sets_its_own_severity_for_a_kind(mosquitto, tmp_path, http_receiver):
    """A high-risk ward makes a bed exit critical: the caregiver and the nurse station at once."""
    sms = {"sms": http_receiver.url("/sms/{phone}")}
    settings = settings_for(mosquitto, tmp_path, contact_targets=sms)
    async with served(settings) as hub:
        await seed_ward(
            hub,
            station_notify=[http_receiver.url("/station")],
            severities={"bed_exit": "critical"},
            delays={"station_after_s": 60, "head_nurse_after_s": 120},
        )
        await publish(mosquitto, [event_message("bed_exit", seq=1, home="r301a", severity="major")])
        await arrived(http_receiver, 2, 10)
        assert sorted(told(http_receiver)) == sorted([PHONES[CAREGIVER_A], "station"])
        (alert,) = (await hub.http.get("/alerts")).json()
        assert alert["severity"] == "critical"


def _seconds_later(iso_time: str, seconds: float) -> str:
    return (datetime.fromisoformat(iso_time) + timedelta(seconds=seconds)).isoformat()
