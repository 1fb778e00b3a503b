"""Queued MQTT messages (configs, commands) with several hub workers: at least once.

A worker claims a queued message with a lease (``mqtt_outbox.claimed_until``) and marks it
sent only once the broker took it (hub/deliveries.py). Here a worker is SIGKILLed, and the
rows it claimed and never published are in the store as it left them; the live worker
publishes each once its lease runs out, and not before.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiomqtt

from tests.support.factories import HOME, PREFIX
from tests.support.shared_workers import workers
from tests.support.stores import query, write
from transport.broker_url import BrokerUrl

LEASE_LEFT_S = 10.0  # of the dead worker's unexpired leases
COMMAND = f"{PREFIX}/{HOME}/command"
CONFIG = f"{PREFIX}/{HOME}/config"


def queue(database: str, topic: str, payload: bytes, claimed_until: float | None) -> None:
    """A queued message as a worker that claimed it (``claimed_until``) and died left it."""
    retain = topic == CONFIG
    write(
        database,
        "INSERT INTO mqtt_outbox (topic, payload, retain, created_at, claimed_until) "
        "VALUES (:topic, :payload, :retain, :now, :claimed_until)",
        topic=topic, payload=payload, retain=retain, now=time.time(), claimed_until=claimed_until,
    )  # fmt: skip


async def test_a_dead_workers_claims_are_published_once_their_lease_runs_out(mosquitto, tmp_path):
    observer_url = BrokerUrl.parse(mosquitto.observer_url)
    async with (
        workers(mosquitto, tmp_path, 2) as (database, hubs),
        aiomqtt.Client(**observer_url.client_kwargs()) as observer,
    ):
        await observer.subscribe(f"{PREFIX}/{HOME}/+", qos=1)
        arrived: list[tuple[str, bytes, float]] = []

        async def observe() -> None:
            async for message in observer.messages:
                arrived.append((str(message.topic), bytes(message.payload), time.time()))

        watching = asyncio.create_task(observe())
        hubs[1].kill()  # SIGKILL, between its claims and their publish
        lease_ends = time.time() + LEASE_LEFT_S
        queue(database, COMMAND, b"lease ran out", claimed_until=time.time() - 1.0)
        queue(database, COMMAND, b"lease held", claimed_until=lease_ends)
        # A config it claimed, and a newer one of the same home queued since, unclaimed.
        queue(database, CONFIG, b"config 1", claimed_until=lease_ends)
        queue(database, CONFIG, b"config 2", claimed_until=None)

        async with asyncio.timeout(LEASE_LEFT_S + 30):
            while not any(payload == b"lease held" for _, payload, _ in arrived):
                await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # time for a second publish of any of them
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching

        when = {payload: at for _, payload, at in arrived}
        assert sorted(payload for _, payload, _ in arrived) == [
            b"config 2", b"lease held", b"lease ran out"
        ], "each once; the older config never, after the newer"  # fmt: skip
        assert when[b"lease ran out"] < lease_ends, "an expired lease is due at once"
        assert when[b"lease held"] >= lease_ends, "published before the dead worker's lease ran out"
        assert await asyncio.to_thread(
            query, database, "SELECT count(*) FROM mqtt_outbox WHERE sent_at IS NULL"
        ) == [(0,)]

    # The broker retains the newer config for the edge's next connection.
    async with aiomqtt.Client(**observer_url.client_kwargs()) as late:
        await late.subscribe(CONFIG, qos=1)
        async with asyncio.timeout(10):
            retained = await anext(aiter(late.messages))
    assert bytes(retained.payload) == b"config 2"
