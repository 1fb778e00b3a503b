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
