"""The hub's MQTT client id: its own per installation, and never taken from a live hub."""

from __future__ import annotations

import asyncio

import aiomqtt

from hub.presence import client_id_of
from hub.store import Store
from tests.support.factories import (
    PREFIX,
    AsAdmin,
    event_message,
    hub_process,
    register,
    served,
    settings_for,
)
from tests.support.hub_process import alert_kinds
from tests.support.mqtt import publish, running, until
from tests.support.stores import fresh_database


def test_an_installation_generates_its_client_id_once_and_keeps_it(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Store(fresh_database(tmp_path / "a"))
    other = Store(fresh_database(tmp_path / "b"))
    try:
        generated = client_id_of(first, None)
        assert generated.startswith("eldercare-hub-") and generated != "eldercare-hub"
        assert client_id_of(first, None) == generated  # kept in the store
        assert client_id_of(other, None) != generated  # another installation, another id
        assert client_id_of(first, "hub-configured") == "hub-configured"
    finally:
        first.close()
        other.close()


async def test_a_second_hub_with_the_same_client_id_is_refused_and_the_first_keeps_its_session(
    mosquitto, tmp_path
):
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    async with (
        hub_process(mosquitto, tmp_path / "first", ELDERCARE_CLIENT_ID="hub-shared") as first,
        hub_process(mosquitto, tmp_path / "second", ELDERCARE_CLIENT_ID="hub-shared") as second,
    ):
        await first.start()
        await register(AsAdmin(first))

        second.process = second.spawn()
        exit_code = await asyncio.to_thread(second.process.wait, 60)

        assert exit_code == 1
        log = second.log_text()
        assert "another hub" in log and "'hub-shared'" in log and "refusing" in log
        assert (await first.health())["connected"]
        # The first hub still has its session: an SOS reaches it.
        await publish(mosquitto, [event_message("sos", seq=1)])
        async with asyncio.timeout(15):
            while "sos" not in await alert_kinds(first):
                await asyncio.sleep(0.1)
        assert "hub degraded" not in first.log_text()


async def test_a_hub_killed_with_sigkill_starts_again_under_its_id(mosquitto, tmp_path):
    async with hub_process(mosquitto, tmp_path, ELDERCARE_CLIENT_ID="hub-killed") as hub:
        await hub.start()
        await register(AsAdmin(hub))
        hub.kill()
        await publish(mosquitto, [event_message("sos", seq=1)])  # queued for its session
        await hub.start()  # not refused: the broker sent the killed one's will at once
        async with asyncio.timeout(15):
            while "sos" not in await alert_kinds(hub):
                await asyncio.sleep(0.1)
        assert "stale" not in hub.log_text()  # nothing to wait for either


async def test_a_stale_presence_does_not_keep_a_hub_from_its_id(mosquitto, tmp_path):
    """A retained "online" that nobody answers for (a broker that kept it across a restart,
    a machine that died): the hub waits for an answer a moment, then takes its id."""
    stale = b'{"state": "online", "instance": "gone", "pid": 1, "host": "old", "since": 0}'
    await publish(mosquitto, [(f"{PREFIX}/hub/hub-stale/presence", stale)], retain=True)
    settings = settings_for(mosquitto, tmp_path, client_id="hub-stale", presence_probe_s=0.5)
    async with served(settings) as hub:
        assert hub.hub.connected.is_set()
        await register(hub)
        await publish(mosquitto, [event_message("sos", seq=1)])
        async with asyncio.timeout(15):
            while not (await hub.http.get("/alerts")).json():
                await asyncio.sleep(0.1)


async def test_a_client_that_keeps_taking_the_hubs_session_is_reported_as_a_takeover(
    mosquitto, tmp_path
):
    settings = settings_for(mosquitto, tmp_path, client_id="hub-taken", reconnect_max_s=0.5)
    async with served(settings) as hub:
        await register(hub)

        async def intruder() -> None:
            """A tool left running with the hub's client id: it reconnects when pushed out."""
            while True:
                client = aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="hub-taken")
                try:
                    async with client:
                        await client.subscribe(f"{PREFIX}/+/event", qos=1)
                        await asyncio.sleep(2)
                except aiomqtt.MqttError:
                    await asyncio.sleep(0.2)
                finally:
                    if client._disconnected.done() and not client._disconnected.cancelled():
                        client._disconnected.exception()  # seen: no warning at exit

        async with running(intruder):

            async def reported() -> bool:
                health = (await hub.http.get("/health")).json()
                return "takeover" in [problem["kind"] for problem in health["problems"]]

            async with asyncio.timeout(30):
                while not await reported():
                    await asyncio.sleep(0.2)
        health = (await hub.http.get("/health")).json()
        (problem,) = [p for p in health["problems"] if p["kind"] == "takeover"]
        assert "'hub-taken'" in problem["detail"] and health["state"] == "degraded"

        # The intruder gone, the hub holds its session again: an SOS reaches it.
        await until(lambda: hub.hub.connected.is_set(), what="the hub connected again")
        await publish(mosquitto, [event_message("sos", seq=1)])
        async with asyncio.timeout(15):
            while not (await hub.http.get("/alerts")).json():
                await asyncio.sleep(0.1)
