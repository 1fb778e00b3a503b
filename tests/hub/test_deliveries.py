"""The hub's queued MQTT messages (configs, commands): published, marked sent, and a stop
that comes at any moment stops it."""

from __future__ import annotations

import asyncio
import time

import aiomqtt
from sqlalchemy import select

from hub.deliveries import MqttOutbox
from hub.health import HubCounts
from hub.schema import OutgoingMessage
from hub.store import Store
from tests.support.factories import HOME, PREFIX
from tests.support.stores import fresh_database


async def test_a_stop_that_comes_with_a_puback_stops_the_outbox(mosquitto, tmp_path):
    """aiomqtt waits for a PUBACK with ``asyncio.wait_for``, which on Python 3.11 drops a
    cancel that lands in the same turn of the loop as the answer. The outbox then ran on,
    and nothing cancelled it again: a demo stopped with Ctrl-C, once in about 20 stops on a
    busy machine, never ended. Here the cancel comes from inside the PUBACK's callback."""
    store = Store(fresh_database(tmp_path))
    with store.transaction() as session:
        session.add(
            OutgoingMessage(
                topic=f"{PREFIX}/{HOME}/command",
                payload=b"{}",
                retain=False,
                created_at=time.time(),
            )
        )

    async def store_failed(_what: str, exc: BaseException) -> bool:
        raise AssertionError(f"the store failed: {exc}")

    counts = HubCounts()
    outbox = MqttOutbox(store, counts, store_failed)
    try:
        async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url)) as client:
            sending: asyncio.Task[None] | None = None
            answered = client._client.on_publish

            def stop_as_it_is_answered(*args: object) -> None:
                answered(*args)
                assert sending is not None
                sending.cancel()

            client._client.on_publish = stop_as_it_is_answered
            sending = asyncio.create_task(outbox.run(client))
            await asyncio.wait({sending}, timeout=10)
            assert sending.cancelled(), "the outbox runs on after its stop"
        # What the broker took is not sent again.
        assert counts.published == 1
        with store.transaction() as session:
            assert session.scalars(select(OutgoingMessage.sent_at)).one() is not None
    finally:
        store.close()
