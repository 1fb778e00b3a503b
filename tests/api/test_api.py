"""The REST API: registry, history, and clear 4xx answers for bad requests (never a 500)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.factories import (
    DISPATCHER,
    HOME,
    STATION,
    event_message,
    home_config,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish, until


async def test_bad_requests_get_a_4xx_that_says_what_is_wrong(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        await publish(mosquitto, [event_message("sos", seq=1)])
        await until(lambda: hub.hub.ingestor.counts.events == 1)
        (alert,) = (await hub.http.get("/alerts")).json()
        ack = f"/alerts/{alert['id']}/acknowledge"
        cases = [
            ("PUT", "/homes/h002", home_config("h002", station="nowhere"), 404, "no station"),
            ("PUT", f"/homes/{HOME}", home_config("h002"), 422, "is for home 'h002'"),
            ("PUT", f"/homes/{HOME}", home_config(timezone="Mars/Olympus"), 422, "time zone"),
            ("PUT", "/homes/bad%20id", home_config("bad id"), 422, "pattern"),
            ("PUT", f"/stations/{STATION}", {"name": "x", "notify": ["nonsense"]}, 422, "notify"),
            ("GET", "/homes/h404", None, 404, "no home 'h404'"),
            ("GET", "/residents/h404/history", None, 404, "no home 'h404'"),
            ("GET", f"/residents/{HOME}/history?metric=mood", None, 422, "metric"),
            (
                "GET",
                f"/residents/{HOME}/history?start=2026-11-29T10:00:00%2B08:00"
                "&end=2026-11-29T09:00:00%2B08:00",
                None,
                422,
                "start must be before end",
            ),
            ("GET", "/alerts?state=sleeping", None, 422, "state"),
            ("GET", "/alerts/999", None, 404, "no such alert"),
            ("POST", "/alerts/999/acknowledge", None, 404, "no such alert"),
            ("POST", f"/alerts/{alert['id']}/resolve", {"outcome": "fine"}, 422, "outcome"),
        ]
        dispatcher = await hub.client_for(DISPATCHER)
        for method, url, body, status, message in cases:
            response = await hub.http.request(method, url, json=body)
            assert response.status_code == status, (method, url, response.text)
            assert message.lower() in response.text.lower(), (url, response.text)
        assert (await dispatcher.post(ack)).status_code == 200
        again = await hub.http.post(ack)
        assert again.status_code == 409 and "already acknowledged by 张丽" in again.text


async def test_no_route_answers_500_to_ids_that_do_not_exist(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        schema = (await hub.http.get("/openapi.json")).json()
        for path, operations in schema["paths"].items():
            url = re.sub(r"\{[^}]+\}", "x404", path).replace("/alerts/x404", "/alerts/404")
            for method in operations:
                response = await hub.http.request(method, url, json={})
                assert response.status_code < 500, (method, url, response.text)
                if "{" in path:  # nothing by that id: a 404 (or 422 for a bad body)
                    assert 400 <= response.status_code < 500, (method, url, response.text)


async def test_history_gives_hourly_heart_rate_and_devices_their_last_report(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        tz = ZoneInfo("Asia/Shanghai")
        seven = datetime.now(tz).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        readings = [
            {"ts": (seven + timedelta(minutes=m)).isoformat(), "device": "band",
             "metric": "heart_rate", "value": value}
            for m, value in ((5, 60), (25, 70), (50, 80), (65, 90))
        ]  # fmt: skip
        document = {"home": HOME, "edge": HOME, "seq": 1, "readings": readings}
        await publish(mosquitto, [(f"eldercare/v1/{HOME}/telemetry", json.dumps(document))])
        await until(lambda: hub.hub.ingestor.counts.readings == 4)
        history = (
            await hub.http.get(f"/residents/{HOME}/history", params={"metric": "heart_rate"})
        ).json()
        assert [(h["count"], h["min"], h["mean"], h["max"]) for h in history["hours"]] == [
            (3, 60, 70, 80),
            (1, 90, 90, 90),
        ]
        assert history["hours"][0]["hour"] == seven.isoformat()
        # Device liveness comes with the edge's heartbeat (its status), not per reading.
        heartbeat = {
            "state": "online", "home": HOME, "edge": HOME,
            "devices": {"band": {"last_seen": (seven + timedelta(minutes=65)).isoformat(),
                                 "battery": 64}},
        }  # fmt: skip
        await publish(mosquitto, [(f"eldercare/v1/{HOME}/status", json.dumps(heartbeat))])
        await until(lambda: hub.hub.ingestor.counts.statuses == 1)
        devices = {d["id"]: d for d in (await hub.http.get(f"/homes/{HOME}/devices")).json()}
        assert devices["band"]["battery"] == 64 and devices["band"]["online"] is True
        assert devices["band"]["last_seen"] == (seven + timedelta(minutes=65)).isoformat()
        assert devices["sos_bed"]["online"] is None  # never heard from yet
        resident = (await hub.http.get(f"/residents/{HOME}")).json()
        assert resident["name"] == "王秀英" and resident["contacts"][0]["phone"] == "13800000000"
