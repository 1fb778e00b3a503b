"""The broker configs shipped for a deployment keep what the edges and the hub rely on: a
persistent session and the QoS 1 messages queued for it survive a restart of the broker.

Here with transport/, how everything connects to a broker; the configs are in deploy/mosquitto/.
"""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest

from eldercare.broker import start_broker
from tests.support.deploy_brokers import DEPLOY, deploy_broker, setting
from tests.support.mqtt import WAIT

TOPIC = "eldercare/v1/h001/event"


async def queued_message_survives_a_restart(broker, client_id: str) -> bytes:
    """A subscriber with a persistent session goes away; a message for it is published; the
    broker restarts; the subscriber comes back and gets it."""
    session = {"identifier": client_id, "clean_session": False, **broker.client_kwargs(broker.url)}
    async with aiomqtt.Client(**session) as subscriber:
        await subscriber.subscribe(TOPIC, qos=1)
    async with aiomqtt.Client(**broker.client_kwargs(broker.home_url("h001"))) as edge:
        await edge.publish(TOPIC, b'{"kind": "sos"}', qos=1)  # acknowledged: the edge forgets it
    broker.restart()
    async with aiomqtt.Client(**session) as subscriber:
        async with asyncio.timeout(WAIT):
            message = await anext(aiter(subscriber.messages))
    return message.payload


@pytest.mark.parametrize("name", ["hub", "home"])
async def test_a_deployment_broker_keeps_queued_messages_across_a_restart(name, tmp_path):
    broker = deploy_broker(name, tmp_path / name)
    try:
        assert (
            await queued_message_survives_a_restart(broker, "eldercare-hub") == b'{"kind": "sos"}'
        )
        assert (tmp_path / name / "mosquitto.db").exists()
    finally:
        broker.stop()


async def test_the_private_broker_of_the_tests_and_the_demo_keeps_them_too(tmp_path):
    broker = start_broker(tmp_path / "private")
    try:
        assert (
            await queued_message_survives_a_restart(broker, "eldercare-hub") == b'{"kind": "sos"}'
        )
        assert "Error" not in broker.log.read_text()  # e.g. a database it could not write
    finally:
        broker.stop()


def test_the_hub_broker_is_configured_for_the_hubs_batches_and_backlog():
    hub = (DEPLOY / "hub.conf").read_text()
    assert setting(hub, "persistence") == "true"
    assert int(setting(hub, "max_inflight_messages")) >= 1000
    assert int(setting(hub, "max_queued_messages")) >= 100_000


def listeners(text: str) -> list[dict[str, str]]:
    """Each listener's settings (per_listener_settings: what follows its line is its own)."""
    found: list[dict[str, str]] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "listener":
            found.append({"listener": " ".join(words[1:])})
        elif found:
            found[-1][words[0]] = " ".join(words[1:])
    return found


def test_the_hub_broker_lets_no_one_in_anonymously_and_binds_client_ids_to_accounts():
    hub = (DEPLOY / "hub.conf").read_text()
    assert setting(hub, "per_listener_settings") == "true"
    edges, hub_side = listeners(hub)
    for listener in (edges, hub_side):
        assert listener["allow_anonymous"] == "false"
        assert listener["password_file"] and listener["acl_file"]
    assert edges["use_username_as_clientid"] == "true"  # no one can take the hub's id
    assert hub_side["listener"].endswith("127.0.0.1")  # the hub's account only, from here
    assert edges["password_file"] != hub_side["password_file"]


def test_the_shipped_acls_are_those_eldercare_provision_writes():
    from eldercare.broker_accounts import edges_acl, hub_acl

    assert (DEPLOY / "edges.acl").read_text() == edges_acl("eldercare/v1")
    assert (DEPLOY / "hub.acl").read_text() == hub_acl("eldercare/v1")


async def test_the_shipped_hub_broker_refuses_anonymous_clients_and_forged_topics(tmp_path):
    broker = deploy_broker("hub", tmp_path / "hub")
    try:
        for port in broker.ports:
            with pytest.raises(aiomqtt.MqttError, match="Not authorized"):
                async with aiomqtt.Client(broker.host, port):
                    pass
        async with aiomqtt.Client(**broker.client_kwargs(broker.url)) as hub:
            await hub.subscribe("eldercare/v1/+/event", qos=1)
            async with aiomqtt.Client(**broker.client_kwargs(broker.home_url("h002"))) as h002:
                await h002.publish("eldercare/v1/h001/event", b"forged", qos=1)
                await h002.publish("eldercare/v1/h002/event", b"own", qos=1)
            async with asyncio.timeout(WAIT):
                message = await anext(aiter(hub.messages))
        assert (str(message.topic), message.payload) == ("eldercare/v1/h002/event", b"own")
    finally:
        broker.stop()
