"""What the edge tests share: a hub stand-in on the uplink, publishing, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiomqtt

from eldercare.broker import Broker

WAIT = 10.0  # seconds; every wait ends as soon as its condition holds


async def publish(broker: Broker, messages: list[tuple[str, bytes | str]], **options) -> None:
    async with aiomqtt.Client(broker.host, broker.port) as client:
        for topic, payload in messages:
            await client.publish(topic, payload, qos=1, **options)


async def until(condition: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    """Wait until ``condition()`` is truthy and return it; a timeout names ``what``."""
    try:
        async with asyncio.timeout(timeout):
            while not (result := condition()):
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise TimeoutError(f"waited {timeout:g} s for {what or 'a condition'}") from None
    return result


@contextlib.asynccontextmanager
async def running(task_factory) -> AsyncIterator[asyncio.Task]:
    task = asyncio.create_task(task_factory())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def raised(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind and e["state"] == "raised"]


class Collector:
    """A hub stand-in on the uplink: a persistent session that survives broker restarts."""

    def __init__(self, broker: Broker, *topics: str):
        self.broker = broker
        self.topics = topics
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.subscribed = asyncio.Event()

    def of(self, topic: str) -> list[dict[str, Any]]:
        return [body for t, body in self.messages if t == topic]

    async def run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    self.broker.host, self.broker.port, identifier="hub-test", clean_session=False
                ) as client:
                    for topic in self.topics:
                        await client.subscribe(topic, qos=1)
                    self.subscribed.set()
                    async for message in client.messages:
                        body = json.loads(message.payload) if message.payload else {}
                        self.messages.append((str(message.topic), body))
            except aiomqtt.MqttError:
                await asyncio.sleep(0.05)
