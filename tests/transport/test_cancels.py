"""A stop that lands as the broker answers a subscribe still stops the task (real Mosquitto;
the cancel comes from inside the SUBACK's callback, the same turn of the loop)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import aiomqtt

from transport.cancels import mqtt_call


async def stopped_as_subscribed(
    client: aiomqtt.Client,
    call: Callable[[Awaitable[object]], Awaitable[object]],
    wait_s: float,
) -> tuple[asyncio.Task[None], list[str]]:
    """A task that subscribes through ``call``, cancelled as the SUBACK arrives; and what it
    did after the subscribe."""
    after: list[str] = []

    async def subscribe_then_work() -> None:
        await call(client.subscribe("eldercare/#", qos=1))
        after.append("ran on")
        await asyncio.sleep(3600)  # a session's work, until the stop

    task = asyncio.create_task(subscribe_then_work())
    answered = client._client.on_subscribe

    def stop_as_it_is_answered(*args: object) -> None:
        answered(*args)
        task.cancel()

    client._client.on_subscribe = stop_as_it_is_answered
    await asyncio.wait({task}, timeout=wait_s)
    client._client.on_subscribe = answered
    return task, after


async def plain(call: Awaitable[object]) -> object:
    return await call


async def test_a_stop_that_comes_with_the_suback_is_kept(mosquitto):
    async with aiomqtt.Client(**mosquitto.client_kwargs()) as client:
        task, after = await stopped_as_subscribed(client, mqtt_call, wait_s=5)
        assert task.cancelled() and after == []
        # Without it, on this Python, the task runs on as if never stopped.
        task, after = await stopped_as_subscribed(client, plain, wait_s=1)
        if sys.version_info < (3, 12):
            assert not task.done() and after == ["ran on"]
        task.cancel()
