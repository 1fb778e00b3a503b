"""The hub's broker enforces who may publish and read what (eldercare.broker_accounts):
anonymous clients are refused, a home's account publishes only its own upstream topics and
reads only its own config and command, a hosted process only for its homes, and no one
without the hub's credentials can take the hub's session.

Against the private broker of the tests and the demo (the `mosquitto` fixture), which runs
the hub's two listeners as deploy/mosquitto/hub.conf does. Each check ends with a message
the client *may* send or read, sent after the ones it may not: messages from one client
arrive in order, so once that one has arrived a forbidden one would have too.
"""

from __future__ import annotations

import asyncio
import json

import aiomqtt
import pytest

from tests.support.mqtt import WAIT

PREFIX = "eldercare/v1"


def topic(home: str, channel: str) -> str:
    return f"{PREFIX}/{home}/{channel}"


async def heard_until(client: aiomqtt.Client, marker: str) -> list[tuple[str, bytes]]:
    """Messages ``client`` gets up to and including the one on ``marker``."""
    heard: list[tuple[str, bytes]] = []
    async with asyncio.timeout(WAIT):
        async for message in client.messages:
            heard.append((str(message.topic), bytes(message.payload)))
            if str(message.topic) == marker:
                return heard
    return heard


@pytest.mark.parametrize("listener", ["edges", "hub"])
async def test_anonymous_clients_and_wrong_passwords_are_refused(mosquitto, listener):
    port = mosquitto.port if listener == "edges" else mosquitto.hub_port
    with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
        async with aiomqtt.Client(mosquitto.host, port):
            pass
    with pytest.raises(aiomqtt.MqttError, match=r"Not authorized|Bad user name or password"):
        async with aiomqtt.Client(mosquitto.host, port, username="h001", password="guess"):
            pass


async def test_a_homes_account_cannot_publish_for_another_home(mosquitto):
    forged = [(topic("h002", channel), b'{"forged": true}') for channel in ("event", "status")]
    forged += [(topic("h002", "telemetry"), b"{}"), (topic("h002", "config"), b"{}")]
    forged += [(topic("h001", "config"), b"{}"), (topic("h001", "command"), b"{}")]
    forged += [(f"{PREFIX}/hosted/gw-1/status", b'{"state": "offline", "homes": ["h002"]}')]
    async with aiomqtt.Client(**mosquitto.client_kwargs()) as hub_side:
        await hub_side.subscribe(f"{PREFIX}/#", qos=1)
        async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.home_url("h001"))) as h001:
            for name, payload in forged:
                await h001.publish(name, payload, qos=1)
            await h001.publish(topic("h001", "event"), b'{"own": true}', qos=1)
        heard = await heard_until(hub_side, topic("h001", "event"))
    assert heard == [(topic("h001", "event"), b'{"own": true}')]


async def test_a_homes_account_cannot_publish_a_retained_config(mosquitto):
    h001 = mosquitto.client_kwargs(mosquitto.home_url("h001"))
    async with aiomqtt.Client(**h001) as edge:
        empty = json.dumps({"home": "h001", "devices": []})
        await edge.publish(topic("h001", "config"), empty, qos=1, retain=True)
        await edge.publish(topic("h002", "config"), empty, qos=1, retain=True)
    async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url)) as hub:
        await hub.publish(topic("h003", "config"), b'{"home": "h003"}', qos=1, retain=True)
    # A newcomer reading every config gets only the hub's: nothing of h001's was retained.
    async with aiomqtt.Client(**mosquitto.client_kwargs()) as reader:
        await reader.subscribe(f"{PREFIX}/+/config", qos=1)
        heard = await heard_until(reader, topic("h003", "config"))
    assert heard == [(topic("h003", "config"), b'{"home": "h003"}')]


async def test_a_homes_account_reads_only_its_own_config_and_command(mosquitto):
    h002 = mosquitto.client_kwargs(mosquitto.home_url("h002"))
    h001 = mosquitto.client_kwargs(mosquitto.home_url("h001"))
    async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url)) as hub:
        await hub.publish(topic("h002", "config"), b'{"phone": "138..."}', qos=1, retain=True)
        async with aiomqtt.Client(**h001) as spy:
            for name in ("#", f"{PREFIX}/#", topic("h002", "config"), topic("h002", "telemetry")):
                await spy.subscribe(name, qos=1)
            async with aiomqtt.Client(**h002) as other:
                await other.publish(topic("h002", "telemetry"), b'{"readings": []}', qos=1)
                await other.publish(topic("h002", "event"), b'{"kind": "sos"}', qos=1)
            await hub.publish(topic("h002", "command"), b'{"action": "voice_prompt"}', qos=1)
            await hub.publish(topic("h001", "command"), b'{"for": "h001"}', qos=1)
            heard = await heard_until(spy, topic("h001", "command"))
    assert [name for name, _ in heard] == [topic("h001", "command")]


async def test_a_hosted_process_publishes_and_reads_only_for_the_homes_it_hosts(mosquitto):
    hosted = mosquitto.client_kwargs(mosquitto.hosted_url("gw-1", ["h001", "h002"]))
    async with aiomqtt.Client(**mosquitto.client_kwargs()) as hub_side:
        await hub_side.subscribe(f"{PREFIX}/#", qos=1)
        async with aiomqtt.Client(**hosted) as process:
            await process.subscribe(f"{PREFIX}/+/config", qos=1)
            await process.publish(topic("h003", "event"), b'{"not": "hosted"}', qos=1)
            await process.publish(f"{PREFIX}/hosted/gw-2/status", b'{"state": "offline"}', qos=1)
            await process.publish(topic("h002", "event"), b'{"hosted": true}', qos=1)
            await process.publish(f"{PREFIX}/hosted/gw-1/status", b'{"state": "online"}', qos=1)
            heard = await heard_until(hub_side, f"{PREFIX}/hosted/gw-1/status")
            assert [name for name, _ in heard] == [
                topic("h002", "event"),
                f"{PREFIX}/hosted/gw-1/status",
            ]
            async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url)) as hub:
                await hub.publish(topic("h003", "config"), b"{}", qos=1)
                await hub.publish(topic("h001", "config"), b"{}", qos=1)
            configs = await heard_until(process, topic("h001", "config"))
    assert [name for name, _ in configs] == [topic("h001", "config")]


async def test_the_hub_writes_only_configs_commands_and_its_presence(mosquitto):
    async with aiomqtt.Client(**mosquitto.client_kwargs()) as observer:
        await observer.subscribe("#", qos=1)
        async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url)) as hub:
            await hub.publish(topic("h001", "event"), b'{"kind": "sos"}', qos=1)
            await hub.publish("zigbee2mqtt/h001/sos", b'{"action": "emergency"}', qos=1)
            await hub.publish(topic("h001", "command"), b"{}", qos=1)
        heard = await heard_until(observer, topic("h001", "command"))
    assert [name for name, _ in heard] == [topic("h001", "command")]


async def test_a_second_client_with_the_hubs_id_is_refused_the_hubs_session(mosquitto):
    """Only the hub's listener lets a client choose its id, and only the hub's account
    connects there; on the edges' listener every client id is the account's name."""
    hub_id = "eldercare-hub-0123456789ab"
    session = {"identifier": hub_id, "clean_session": False}
    h002 = mosquitto.client_kwargs(mosquitto.home_url("h002"))
    h001 = mosquitto.client_kwargs(mosquitto.home_url("h001"))
    async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url), **session) as hub:
        await hub.subscribe(f"{PREFIX}/+/event", qos=1)
        # With a home's credentials on the hub's listener: not even connected.
        with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
            async with aiomqtt.Client(**{**h002, "port": mosquitto.hub_port}, **session):
                pass
        # On the edges' listener the id it asks for is replaced by its user name: the hub
        # keeps its connection and its session, and the intruder gets none of its messages.
        async with aiomqtt.Client(**h002, **session) as intruder:
            await intruder.subscribe(f"{PREFIX}/+/event", qos=1)
            async with aiomqtt.Client(**h001) as edge:
                await edge.publish(topic("h001", "event"), b'{"kind": "sos"}', qos=1)
            heard = await heard_until(hub, topic("h001", "event"))
            assert heard == [(topic("h001", "event"), b'{"kind": "sos"}')]
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await anext(aiter(intruder.messages))
