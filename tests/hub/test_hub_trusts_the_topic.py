"""The hub trusts the topic, not the payload: the broker's ACL vouches for the home of a
topic (tests/transport/test_broker_acl.py), and nothing a payload claims lets one home's
account, a second box of a home or a hosted process silence another home.

The attacks of issue 13, through the real hub and the real broker with accounts and ACLs.
"""

from __future__ import annotations

import asyncio
import json

import aiomqtt

from tests.support.factories import PREFIX, event_message, register, served, settings_for
from tests.support.mqtt import publish, until
from tests.support.served_hub import home_states, until_home_states

POISON = 3000


def claimed_telemetry(topic_home: str, edge: str, seq: int) -> bytes:
    return json.dumps({"home": topic_home, "edge": edge, "seq": seq, "readings": []}).encode()


async def alerts_of(hub, home: str) -> list[dict]:
    """The home's alerts, once it has one (the API polled)."""
    async with asyncio.timeout(10):
        while True:
            alerts = (await hub.http.get("/alerts", params={"state": "all"})).json()
            if found := [a for a in alerts if a["home"] == home]:
                return found
            await asyncio.sleep(0.05)


async def test_empty_telemetry_claiming_another_homes_edge_does_not_drop_its_fall(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, homes=("h001", "h002"))
        # h002's own account, on h002's own topic (all the ACL lets it), claims h001's edge
        # and every seq h001 will use.
        h002 = mosquitto.client_kwargs(mosquitto.home_url("h002"))
        async with aiomqtt.Client(**h002, max_inflight_messages=500) as attacker:
            attacker.pending_calls_threshold = 1000
            for start in range(1, POISON + 1, 500):
                await asyncio.gather(
                    *(
                        attacker.publish(
                            f"{PREFIX}/h002/telemetry", claimed_telemetry("h002", "h001", s), qos=1
                        )
                        for s in range(start, start + 500)
                    )
                )
        counts = hub.hub.ingestor.counts
        await until(lambda: counts.messages >= POISON, 30, "the poison taken in")
        await publish(mosquitto, [event_message("fall", seq=17, home="h001")])
        (fall,) = await alerts_of(hub, "h001")
        assert fall["kind"] == "fall" and counts.duplicates == 0


async def test_only_the_edge_that_raised_an_alert_clears_it(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, homes=("h001",))
        _, raised = event_message("device_offline", seq=1, home="h001", severity="warning")
        await publish(mosquitto, [(f"{PREFIX}/h001/event", raised)])
        (alert,) = await alerts_of(hub, "h001")
        # A cleared from another box (or anyone else writing on h001's topic): refused.
        _, cleared = event_message("device_offline", "cleared", seq=2, home="h001")
        forged = {**json.loads(cleared), "edge": "h001-old-box"}
        await publish(mosquitto, [(f"{PREFIX}/h001/event", json.dumps(forged))])
        counts = hub.hub.ingestor.counts
        await until(lambda: counts.refused["foreign_clear"] == 1, what="the forged clear refused")
        still = (await hub.http.get(f"/alerts/{alert['id']}")).json()
        assert still["state"] == "active_unacknowledged"
        # The edge that raised it clears it (and device_offline resolves itself).
        await publish(mosquitto, [(f"{PREFIX}/h001/event", cleared)])

        async def resolved() -> bool:
            return (await hub.http.get(f"/alerts/{alert['id']}")).json()["state"] == "resolved"

        async with asyncio.timeout(10):
            while not await resolved():
                await asyncio.sleep(0.05)


async def test_a_hosted_process_speaks_only_for_the_homes_registered_to_it(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub, homes=("h001", "h002"))
        own = {"state": "online", "home": "h001", "edge": "h001"}
        hosted = {"state": "online", "home": "h002", "edge": "h002", "hosted": "gw-1"}
        await publish(
            mosquitto,
            [
                (f"{PREFIX}/h001/status", json.dumps(own)),
                (f"{PREFIX}/h002/status", json.dumps(hosted)),
            ],
        )

        await until_home_states(hub.http, {"h001": "online", "h002": "online"})
        # Another process with an account of its own lists both homes in its will: nothing.
        will = {"state": "offline", "homes": ["h001", "h002"]}
        await publish(mosquitto, [(f"{PREFIX}/hosted/gw-2/status", json.dumps(will))])
        counts = hub.hub.ingestor.counts
        await until(lambda: counts.refused["not_hosted_there"] == 1, what="gw-2 ignored")
        assert await home_states(hub.http) == {"h001": "online", "h002": "online"}
        # gw-1's will takes its own home offline, not h001 which it lists too.
        await publish(mosquitto, [(f"{PREFIX}/hosted/gw-1/status", json.dumps(will))])
        await until_home_states(hub.http, {"h001": "online", "h002": "offline"})


async def test_a_home_using_the_hubs_client_id_does_not_take_its_session(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, client_id="eldercare-hub-unique")
    async with served(settings) as hub:
        await register(hub, homes=("h001",))
        connects = hub.hub.counts.connects
        h002 = mosquitto.client_kwargs(mosquitto.home_url("h002"))
        for _ in range(3):
            async with aiomqtt.Client(**h002, identifier="eldercare-hub-unique"):
                await asyncio.sleep(0.1)
        await publish(mosquitto, [event_message("sos", seq=1, home="h001")])
        (sos,) = await alerts_of(hub, "h001")
        assert sos["kind"] == "sos"
        assert hub.hub.counts.connects == connects  # never pushed out
        health = (await hub.http.get("/health")).json()
        assert "takeover" not in [problem["kind"] for problem in health["problems"]]
