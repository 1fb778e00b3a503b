"""Connection helpers of the edge: broker URLs and the reconnect backoff.

Kept apart from the agent so a hosted-edge process (many homes over one connection) can
reuse them without the one-home agent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import aiomqtt

from transport.broker_url import BrokerUrl, BrokerUrlError

__all__ = ["Backoff", "BrokerUrl", "BrokerUrlError", "keep_connected"]

log = logging.getLogger("transport.reconnect")


class Backoff:
    """Jittered exponential backoff: ``first`` doubling up to ``limit`` seconds.

    Full jitter between half and all of the current step, so a station's edges that lost
    the uplink together do not reconnect in lockstep; never zero, so never a busy loop.
    """

    def __init__(
        self, first: float = 0.5, limit: float = 30.0, *, rng: random.Random | None = None
    ):
        if first <= 0 or limit < first:
            raise ValueError(f"need 0 < first <= limit, got {first}, {limit}")
        self.first = first
        self.limit = limit
        self._step = first
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = self._rng.uniform(self._step / 2, self._step)
        self._step = min(self._step * 2, self.limit)
        return delay

    def reset(self) -> None:
        self._step = self.first


async def keep_connected(
    session: Callable[[], Awaitable[None]], *, who: str, first_s: float, max_s: float
) -> None:
    """Run ``session()`` forever; after an MQTT error wait a jittered, growing delay."""
    backoff = Backoff(first_s, max_s)
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        try:
            await session()
        except* aiomqtt.MqttError as group:
            log.warning("%s: %s", who, group.exceptions[0])
        # A session that lasted was a real recovery: start the backoff again from short.
        if loop.time() - started > max_s:
            backoff.reset()
        delay = backoff.next_delay()
        log.info("%s: reconnecting in %.1f s", who, delay)
        await asyncio.sleep(delay)
