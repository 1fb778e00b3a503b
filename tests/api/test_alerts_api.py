"""Alerts through the API, on a real store and broker: what a family reads of an alert (the
family's notifications, not the station's; the evidence without the station's feedback),
and whose queue an alert is in once its resident has moved to another station."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import websockets

from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    event_message,
    home_config,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish, until
from tests.support.served_hub import cookie_of, frames_of

# What the edge's no_activity detector writes once the station has loosened its limit x3
# (analytics/activity/base.py; tests/analytics/activity/test_homes_model.py makes it).
BASIS = (
    "learning, day 1 of 14: default for a silence that began in the chair (0 of 5 days "
    "seen), conservative limit"
)
LOOSENED = {
    "inactive_h": 12.0,
    "threshold_h": 12.0,
    "baseline": f"{BASIS}; limit x3 after outcomes",
    "summary": (
        "no activity for 12.0 h, last activity 09:00; last seen in the chair; her usual "
        f"longest silence of this kind not known yet; threshold 12.0 h ({BASIS}; limit x3 "
        "after outcomes)"
    ),
}


async def tried_both(dispatcher: httpx.AsyncClient) -> dict:
    """The alert as the dispatcher reads it, once its SMS to the son was sent and its page to
    the station has failed."""
    async with asyncio.timeout(20):
        while True:
            alerts = (await dispatcher.get("/alerts")).json()
            if alerts:
                seen = (await dispatcher.get(f"/alerts/{alerts[0]['id']}")).json()
                tried = {n["audience"]: n for n in seen["notifications"]}
                sent = tried.get("family", {}).get("state") == "sent"
                if sent and tried.get("station", {}).get("last_error"):
                    return seen
            await asyncio.sleep(0.05)


async def test_a_family_reads_what_was_sent_to_the_family_not_the_stations_pager(
    mosquitto, tmp_path, http_receiver
):
    pager = "json://127.0.0.1:9/station-pager/13912345678"  # nobody on port 9: it fails
    sms = {"sms": http_receiver.url("/sms/{phone}")}
    async with served(settings_for(mosquitto, tmp_path, contact_targets=sms)) as hub:
        await register(hub, notify=[pager])
        await publish(mosquitto, [event_message("fall", seq=1)])
        staff_view = await tried_both(await hub.client_for(DISPATCHER))
        assert {n["audience"] for n in staff_view["notifications"]} == {"station", "family"}

        family = await hub.client_for(FAMILY)
        theirs = (await family.get(f"/alerts/{staff_view['id']}")).json()
        assert [n["audience"] for n in theirs["notifications"]] == ["family"]
        assert theirs["delivered"] == {
            "family": {"sent": 1, "failed": 0, "pending": 0, "no_channel": False}
        }
        assert "station-pager" not in json.dumps(theirs)


async def test_a_family_never_reads_the_stations_feedback_in_an_alerts_evidence(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        family = await hub.client_for(FAMILY)
        dispatcher = await hub.client_for(DISPATCHER)
        async with (
            websockets.connect(hub.ws_url, additional_headers=cookie_of(family)) as family_ws,
            websockets.connect(hub.ws_url, additional_headers=cookie_of(dispatcher)) as staff_ws,
        ):
            for ws in (family_ws, staff_ws):
                assert json.loads(await ws.recv())["type"] == "hello"
            # Her silence raises an alert; after her fall, a long bathroom stay is told in
            # the fall's history (a related event, with its evidence).
            events = [
                event_message("no_activity", seq=1, severity="major", evidence=LOOSENED),
                event_message("fall", seq=2),
                event_message("long_bathroom_stay", seq=3, severity="major", evidence=LOOSENED),
            ]
            for taken, event in enumerate(events, 1):  # the fall open when the stay comes
                await publish(mosquitto, [event])
                await until(lambda n=taken: hub.hub.ingestor.counts.events == n, what="it")
            family_frames = await frames_of(family_ws, "alert", 3)
            staff_frames = await frames_of(staff_ws, "alert", 3)

        alerts = (await family.get("/alerts")).json()
        cards = [(await family.get(f"/alerts/{a['id']}")).json() for a in alerts]
        for what in (family_frames, alerts, cards):
            assert "after outcomes" not in json.dumps(what, ensure_ascii=False)
        (silence,) = [a for a in alerts if a["kind"] == "no_activity"]
        assert silence["evidence"]["baseline"] == BASIS  # the rest of it is hers to read
        (fall,) = [c for c in cards if c["kind"] == "fall"]
        (stay,) = [c["detail"] for c in fall["history"] if c["action"] == "related"]
        assert stay["evidence"]["baseline"] == BASIS
        assert "limit x3 after outcomes" in json.dumps(staff_frames)
        staff_alerts = (await dispatcher.get("/alerts")).json()
        (theirs,) = [a for a in staff_alerts if a["kind"] == "no_activity"]
        assert theirs["evidence"] == silence["evidence"] | {
            "baseline": LOOSENED["baseline"],
            "summary": LOOSENED["summary"],
        }


async def test_a_resident_who_moves_takes_her_alert_to_the_new_stations_queue(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        account = {"name": "赵", "role": "dispatcher", "stations": ["st2"], "password": PASSWORD}
        await hub.http.put("/users/zhao.st2", json=account)
        await publish(mosquitto, [event_message("fall", seq=1)])
        await until(lambda: hub.hub.ingestor.counts.events == 1, what="the fall")
        (alert,) = (await hub.http.get("/alerts")).json()

        moved = await hub.http.put(f"/homes/{HOME}", json=home_config(station="st2"))
        assert moved.status_code == 200, moved.text
        old, new = await hub.client_for(DISPATCHER), await hub.client_for("zhao.st2")
        assert (await old.get("/alerts")).json() == []
        assert [a["id"] for a in (await new.get("/alerts")).json()] == [alert["id"]]
        assert (await new.get("/alerts")).json()[0]["station"] == "st2"
        for station, found in (("st1", []), ("st2", [alert["id"]])):
            listed = (await hub.http.get("/alerts", params={"station": station})).json()
            assert [a["id"] for a in listed] == found, station
        overview = {row["id"]: row for row in (await hub.http.get("/reports/overview")).json()}
        assert (overview["st1"]["open_alerts"], overview["st2"]["open_alerts"]) == (0, 1)

        # Live, too: the new station hears of her alert, the old one no more.
        async with (
            websockets.connect(hub.ws_url, additional_headers=cookie_of(old)) as old_ws,
            websockets.connect(hub.ws_url, additional_headers=cookie_of(new)) as new_ws,
        ):
            for ws in (old_ws, new_ws):
                assert json.loads(await ws.recv())["type"] == "hello"
            acked = await new.post(f"/alerts/{alert['id']}/acknowledge")
            assert acked.status_code == 200, acked.text
            (frame,) = await frames_of(new_ws, "alert", 1)
            assert (frame["station"], frame["data"]["change"]) == ("st2", "acknowledged")
            with contextlib.suppress(TimeoutError):
                frame = await asyncio.wait_for(old_ws.recv(), 0.5)
                raise AssertionError(f"the old station heard of her alert: {frame}")
