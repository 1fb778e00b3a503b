"""Many homes' outboxes drained over one uplink connection, round-robin, so that one home's
telemetry backlog cannot delay another home's fall."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping

import aiomqtt

from .agent import OUTBOX_RETRY_S
from .outbox import Outbox, OutboxError, OutboxItem
from .pipeline import HomePipeline

log = logging.getLogger("edge.hosted")


class RoundRobinDrain:
    """Publishes windows of at most ``window`` items (QoS 1), at most ``per_home_turn`` of
    one home per window; an item leaves its outbox on its PUBACK."""

    def __init__(self, pipelines: Mapping[str, HomePipeline], window: int, per_home_turn: int):
        if window < 1 or per_home_turn < 1:
            raise ValueError("drain_window and per_home_turn must be >= 1")
        self.pipelines = pipelines
        self.window = window
        self.per_home_turn = per_home_turn
        self.published = 0  # outbox items acked by the uplink broker
        self._ready: deque[str] = deque()  # homes whose outbox may hold something
        self._ready_set: set[str] = set()
        self._wake = asyncio.Event()

    def mark(self, home: str) -> None:
        """``home``'s outbox may hold something to send."""
        if home not in self._ready_set:
            self._ready_set.add(home)
            self._ready.append(home)
        self._wake.set()

    def next_window(self) -> list[tuple[Outbox, OutboxItem]]:
        """Up to ``window`` items, taken round-robin from the homes that have some."""
        window: list[tuple[Outbox, OutboxItem]] = []
        taken: set[str] = set()
        while self._ready and len(window) < self.window:
            home = self._ready[0]
            if home in taken:  # a home back in line already gave this window its turn
                break
            self._ready.popleft()
            self._ready_set.discard(home)
            taken.add(home)
            outbox = self.pipelines[home].outbox
            limit = min(self.per_home_turn, self.window - len(window))
            try:
                items = outbox.pending(limit=limit)
            except OutboxError as exc:  # this home's disk: the others go on, it tries later
                log.error("home %s: %s; trying again in %g s", home, exc, OUTBOX_RETRY_S)
                asyncio.get_running_loop().call_later(OUTBOX_RETRY_S, self.mark, home)
                continue
            window.extend((outbox, item) for item in items)
            if len(items) == limit:  # maybe more: back of the line
                self.mark(home)
        return window

    async def run(self, client: aiomqtt.Client) -> None:
        """Drain for ever (one uplink session's task)."""
        while True:
            self._wake.clear()
            window = self.next_window()
            if not window:
                await self._wake.wait()
                continue
            # QoS 1 on one connection keeps each home's order; an item is acked on PUBACK.
            async with asyncio.TaskGroup() as sends:
                for outbox, item in window:
                    sends.create_task(self._send(client, outbox, item))

    async def _send(self, client: aiomqtt.Client, outbox: Outbox, item: OutboxItem) -> None:
        await client.publish(item.topic, item.payload, qos=1)
        try:
            outbox.ack(item.seq)
        except OutboxError as exc:  # sent again later (the hub drops the copy), after a pause
            log.error("hosted: sent item %d stays in the outbox: %s", item.seq, exc)
            await asyncio.sleep(OUTBOX_RETRY_S)
            return
        self.published += 1
