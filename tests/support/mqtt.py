"""What the edge tests share: a hub stand-in on the uplink, publishing, waiting.

The private broker runs with accounts and ACLs (eldercare.broker): :func:`publish` sends
each message as whoever may send it (a home's edge, a hosted process, the devices, the
hub), and :class:`Collector` reads as the tests' observer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiomqtt

from contracts.topics import EDGE_CHANNELS, HOSTED_LEVEL
from eldercare.broker import Broker
from transport.broker_url import BrokerUrl

WAIT = 10.0  # seconds; every wait ends as soon as its condition holds
PROCESS_START_S = 30.0  # a new interpreter importing the hub or the edge, on a busy machine


async def publish(broker: Broker, messages: list[tuple[str, bytes | str]], **options) -> None:
    """Each message in order, each as the client the broker lets send it (:func:`sender`)."""
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, aiomqtt.Client] = {}
        for topic, payload in messages:
            url = sender(broker, topic)
            if url not in clients:
                client = aiomqtt.Client(**BrokerUrl.parse(url).client_kwargs())
                clients[url] = await stack.enter_async_context(client)
            await clients[url].publish(topic, payload, qos=1, **options)


def sender(broker: Broker, topic: str) -> str:
    """Who publishes on ``topic``: a home's edge its upstream channels, a hosted process
    its will, devices theirs; the rest (config, command) the hub."""
    prefix = broker.prefix + "/"
    levels = topic.removeprefix(prefix).split("/") if topic.startswith(prefix) else []
    if len(levels) == 2 and levels[1] in EDGE_CHANNELS:
        return broker.home_url(levels[0])
    if len(levels) == 3 and levels[0] == HOSTED_LEVEL:
        return broker.hosted_url(levels[1], broker.hosted_homes(levels[1]))
    if (len(levels) == 4 and levels[1] == "dev") or topic.startswith("zigbee2mqtt"):
        return broker.devices_url
    return broker.observer_url


def credentials_env(url: str, folder: Path) -> tuple[str, dict[str, str]]:
    """``url`` without its user and password, and the ``ELDERCARE_MQTT_*`` variables that
    give them, the password in a file: how a deployment passes them."""
    parts = urlsplit(url)
    if not parts.username:
        return url, {}
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / f"mqtt-{parts.username}.password"
    secret.write_text((parts.password or "") + "\n")
    bare = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    return bare, {
        "ELDERCARE_MQTT_USERNAME": parts.username,
        "ELDERCARE_MQTT_PASSWORD_FILE": str(secret),
    }


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
                    **self.broker.client_kwargs(), identifier="hub-test", clean_session=False
                ) as client:
                    for topic in self.topics:
                        await client.subscribe(topic, qos=1)
                    self.subscribed.set()
                    async for message in client.messages:
                        body = json.loads(message.payload) if message.payload else {}
                        self.messages.append((str(message.topic), body))
            except aiomqtt.MqttError:
                await asyncio.sleep(0.05)
