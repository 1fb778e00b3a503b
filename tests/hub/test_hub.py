"""The hub end to end: real Mosquitto, real SQLite file, the API served by uvicorn."""

from __future__ import annotations

import asyncio
import json

import websockets

from edge import EdgeAgent, EdgeSettings
from tests.support.factories import (
    DISPATCHER,
    HOME,
    PREFIX,
    STATION,
    device_messages,
    event_message,
    fast_policies,
    home_config,
    make_home,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import Collector, publish, running, until
from tests.support.served_hub import cookie_of, until_home_states


async def next_alert(ws, kind: str, change: str) -> dict:
    """The next live frame about an alert of ``kind`` with ``change``."""
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await ws.recv())
            data = frame.get("data", {})
            if frame["type"] != "alert":
                continue
            if data["alert"]["kind"] == kind and data["change"] == change:
                return data["alert"]


async def test_a_simulated_fall_becomes_an_alert_in_rest_and_on_the_websocket(
    brokers, tmp_path, http_receiver
):
    local, uplink = brokers
    settings = settings_for(uplink, tmp_path)
    async with served(settings) as hub:
        await register(hub, notify=[http_receiver.url("/dingtalk")])
        edge = EdgeAgent(
            make_home(),
            EdgeSettings(
                local=local.url,
                uplink=uplink.home_url(HOME),
                data_dir=tmp_path / "edge",
                prefix=PREFIX,
                telemetry_every_s=0.2,
                reconnect_first_s=0.1,
                reconnect_max_s=0.5,
            ),
        )
        async with (
            running(edge.run),
            websockets.connect(
                f"{hub.ws_url}?station={STATION}", additional_headers=cookie_of(hub.http)
            ) as ws,
        ):
            assert json.loads(await ws.recv())["type"] == "hello"
            await until(lambda: edge.local_connected.is_set() and edge.uplink_connected.is_set())
            await publish(local, device_messages("radar_bath", "fall_state", "fall"))
            live = await next_alert(ws, "fall", "raised")

        assert live["resident_name"] == "王秀英" and live["state"] == "active_unacknowledged"
        queue = (await hub.http.get("/alerts", params={"station": STATION})).json()
        assert [(a["id"], a["kind"], a["severity"]) for a in queue] == [
            (live["id"], "fall", "critical")
        ]
        assert queue[0]["evidence"]["source"] == "radar" and queue[0]["device"] == "radar_bath"
        # The evidence in words, as the SMS says it, for the pages to show.
        assert queue[0]["evidence_text"] == {"zh": "在卫生间", "en": "in the bathroom"}
        # The station's DingTalk group is told at once (critical), in Chinese.
        (request,) = await until(lambda: http_receiver.requests, what="the station's message")
        assert "跌倒" in json.dumps(request.body, ensure_ascii=False)
        assert "王秀英" in json.dumps(request.body, ensure_ascii=False)


async def test_an_acknowledgement_stops_escalation_and_tells_the_home(
    mosquitto, tmp_path, http_receiver
):
    settings = settings_for(mosquitto, tmp_path, policies=fast_policies(repeat_s=0.3))
    home_side = Collector(mosquitto, f"{PREFIX}/{HOME}/command")
    async with served(settings) as hub, running(home_side.run):
        await register(hub, notify=[http_receiver.url("/station")])
        await home_side.subscribed.wait()
        await publish(mosquitto, [event_message("sos", seq=1, evidence={"button": "sos_bed"})])
        await until(  # raised, then repeats while nobody acknowledges
            lambda: len(http_receiver.requests) >= 3, what="three escalation messages"
        )
        (alert,) = (await hub.http.get("/alerts")).json()

        dispatcher = await hub.client_for(DISPATCHER)
        acked = await dispatcher.post(f"/alerts/{alert['id']}/acknowledge")
        assert acked.status_code == 200, acked.text
        assert acked.json()["acknowledged_by"] == "张丽"
        # A message decided just before the ack may still be on its way; after that, quiet.
        await asyncio.sleep(0.5)
        told = len(http_receiver.requests)
        await asyncio.sleep(1.0)  # more than three repeat periods
        assert len(http_receiver.requests) == told

        (command,) = await until(lambda: home_side.of(f"{PREFIX}/{HOME}/command"))
        assert command["action"] == "voice_prompt" and command["alert"] == alert["id"]
        story = (await hub.http.get(f"/alerts/{alert['id']}")).json()["history"]
        actions = [change["action"] for change in story]
        assert actions[0] == "raised" and "escalated" in actions
        assert actions[-1] == "acknowledged" and story[-1]["actor"] == "张丽"  # nothing after


async def test_the_same_events_replayed_twice_make_one_alert(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        outbox = [
            event_message("fall", seq=7),
            event_message("fall", "updated", seq=8, evidence={"source": "radar", "still_s": 60}),
        ]
        await publish(mosquitto, outbox)
        await publish(mosquitto, outbox)  # the edge's outbox sent again after a lost PUBACK
        await until(lambda: hub.hub.ingestor.counts.duplicates == 2, what="2 duplicates")
        alerts = (await hub.http.get("/alerts", params={"state": "all"})).json()
        assert len(alerts) == 1 and alerts[0]["evidence"]["still_s"] == 60
        story = (await hub.http.get(f"/alerts/{alerts[0]['id']}")).json()["history"]
        # (what the hub records of its deliveries, "no_channel" here, is not the events')
        assert [c["action"] for c in story if c["action"] != "no_channel"] == ["raised", "updated"]
        health = (await hub.http.get("/health")).json()
        assert health["ingest"]["events"] == 2 and health["ingest"]["duplicates"] == 2


async def test_malformed_unknown_home_and_duplicate_messages_are_counted_and_ingest_goes_on(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        bad = [
            (f"{PREFIX}/{HOME}/event", b'{"kind": "fall", '),  # cut short
            (f"{PREFIX}/{HOME}/event", b'{"kind": "fall"}'),  # no edge, seq, state ...
            event_message("sos", seq=1, home="h999"),  # nobody registered h999
            (f"{PREFIX}/{HOME}/telemetry", b"\xff\xfe"),
            event_message("sos", seq=2),
            event_message("sos", seq=2),  # the same message again
        ]
        await publish(mosquitto, bad)
        await publish(mosquitto, [event_message("fall", seq=3)])
        await until(lambda: hub.hub.ingestor.counts.events == 2, what="the two good events")
        counts = (await hub.http.get("/health")).json()["ingest"]
        assert counts["refused"] == {"malformed_json": 2, "invalid": 1, "unknown_home": 1}
        assert counts["duplicates"] == 1
        kinds = sorted(a["kind"] for a in (await hub.http.get("/alerts")).json())
        assert kinds == ["fall", "sos"]


async def test_a_saved_home_config_is_published_retained_for_the_edge(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        changed = home_config(night={"start": "23:00", "end": "06:30"})
        response = await hub.http.put(f"/homes/{HOME}", json=changed)
        assert response.status_code == 200, response.text
        # An edge that connects later still gets it: the config is retained.
        edge_side = Collector(mosquitto, f"{PREFIX}/{HOME}/config")
        async with running(edge_side.run):
            await until(
                lambda: any(
                    c["night"]["start"] == "23:00:00"
                    for c in edge_side.of(f"{PREFIX}/{HOME}/config")
                ),
                what="the new config on the config topic",
            )


async def test_a_hosted_process_going_offline_takes_its_homes_offline(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, homes=("h001", "h002"))
        online = {"state": "online", "hosted": "gw-1"}
        await publish(
            mosquitto,
            [
                (f"{PREFIX}/h001/status", json.dumps({**online, "home": "h001", "edge": "h001"})),
                (f"{PREFIX}/h002/status", json.dumps({**online, "home": "h002", "edge": "h002"})),
            ],
        )

        await until_home_states(hub.http, {"h001": "online", "h002": "online"})
        # The process's will: one message for all its homes, whose own statuses still say
        # online (MQTT has one will per connection).
        will = {"state": "offline", "homes": ["h001", "h002"]}
        await publish(mosquitto, [(f"{PREFIX}/hosted/gw-1/status", json.dumps(will))])
        await until_home_states(hub.http, {"h001": "offline", "h002": "offline"})


async def test_the_accelerometer_window_of_a_fall_is_kept_and_a_broken_one_costs_only_itself(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, homes=("h001", "h002"))
        impact = [[0.0, 0.0, 1.0]] * 40 + [[2.5, 1.0, 3.9]] + [[0.9, 0.1, 0.1]] * 59
        good = {"device": "band", "rate_hz": 50, "start": "2026-11-29T07:31:03+08:00",
                "samples": impact}  # fmt: skip
        broken = {**good, "samples": [[1.0, 2.0]]}  # not [x, y, z]
        await publish(
            mosquitto,
            [
                event_message("fall", seq=1, home="h001", window=good),
                event_message("fall", seq=1, home="h002", window=broken),
            ],
        )
        await until(lambda: hub.hub.ingestor.counts.events == 2)
        alerts = {a["home"]: a for a in (await hub.http.get("/alerts")).json()}
        assert set(alerts) == {"h001", "h002"}  # the broken window did not cost the fall
        assert "samples" not in json.dumps(alerts["h001"])  # lists stay small
        window = (await hub.http.get(f"/alerts/{alerts['h001']['id']}/window")).json()
        assert window["rate_hz"] == 50 and len(window["samples"]) == 100
        assert max(abs(z) for _x, _y, z in window["samples"]) == 3.9
        missing = await hub.http.get(f"/alerts/{alerts['h002']['id']}/window")
        assert missing.status_code == 404


async def test_a_broken_channel_is_retried_and_never_holds_up_another(
    mosquitto, tmp_path, http_receiver
):
    # Nothing listens on port 9: every attempt there fails at once.
    broken = "json://127.0.0.1:9/dingtalk"
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, notify=[broken, http_receiver.url("/wecom")])
        await publish(mosquitto, [event_message("sos", seq=1)])
        await until(lambda: http_receiver.requests, what="the working channel's message")
        (alert,) = (await hub.http.get("/alerts")).json()

        async def notifications() -> dict[str, dict]:
            detail = (await hub.http.get(f"/alerts/{alert['id']}")).json()
            # The station's own notices: once the broken one has failed three times the
            # station is also paged about it through the working one (audience "paging").
            return {n["target"]: n for n in detail["notifications"] if n["audience"] == "station"}

        async with asyncio.timeout(10):  # retried with growing delays (0.2 s, 0.4 s, ...)
            while (await notifications())[broken]["attempts"] < 3:
                await asyncio.sleep(0.1)
        told = await notifications()
        assert told[broken]["state"] == "pending" and told[broken]["last_error"]
        working = told[http_receiver.url("/wecom")]
        assert working["state"] == "sent" and working["attempts"] == 1
