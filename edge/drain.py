"""The outboxes of one or many homes drained over one uplink connection, round-robin, so that
one home's telemetry backlog cannot delay another home's fall."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping

import aiomqtt

from transport.cancels import stop_if_cancelled

from .outbox import OutboxError, OutboxItem, synced_once
from .pipeline import HomePipeline

log = logging.getLogger("edge.runtime")

OUTBOX_RETRY_S = 1.0  # a home's drain waits this long after its outbox refused (a full disk)

Window = list[tuple[str, list[OutboxItem]]]  # (home, its items), in the order sent


class RoundRobinDrain:
    """Publishes windows of at most ``window`` items (QoS 1). A home whose outbox may hold
    something waits in line; each takes at most ``per_home_turn`` items of a window while
    other homes wait behind it, and the rest of the window when none does (one home alone,
    or the single home of an edge agent). An item leaves its outbox on its PUBACK, a window's
    items of one home in one transaction (one fsync)."""

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

    def mark_all(self) -> None:
        for home in self.pipelines:
            self.mark(home)

    def next_window(self) -> Window:
        """Up to ``window`` items, taken round-robin from the homes that have some."""
        window: Window = []
        size = 0
        taken: set[str] = set()
        while self._ready and size < self.window:
            home = self._ready[0]
            if home in taken:
                break  # back in line already: its unacked items would only come again
            taken.add(home)
            self._ready.popleft()
            self._ready_set.discard(home)
            room = self.window - size
            limit = min(self.per_home_turn, room) if self._ready else room
            try:
                items = self.pipelines[home].outbox.pending(limit=limit)
            except OutboxError as exc:  # this home's disk: the others go on, it tries later
                self._retry_later(home, exc)
                continue
            if items:
                window.append((home, items))
                size += len(items)
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
            # QoS 1 publishes on one connection keep their order, so each home's too. On an
            # error or a cancel, the items whose PUBACK did come are still acked; the others
            # are sent again after the reconnect (the hub drops the copies).
            acked: dict[str, list[int]] = {home: [] for home, _ in window}
            try:
                async with asyncio.TaskGroup() as sends:
                    for home, items in window:
                        for item in items:
                            sends.create_task(self._send(client, item, acked[home]))
            finally:
                self._forget(acked)

    async def _send(self, client: aiomqtt.Client, item: OutboxItem, acked: list[int]) -> None:
        await client.publish(item.topic, item.payload, qos=1)
        acked.append(item.seq)  # the PUBACK came: acked even if a stop came with it
        stop_if_cancelled()

    def _forget(self, acked: dict[str, list[int]]) -> None:
        """Remove the acknowledged items from their outboxes (one fsync per outbox file for
        the window); a home whose outbox refuses (a full disk) sends them again later, after
        a pause. An ack lost to a power cut only sends an item again (the hub drops it)."""
        try:
            with synced_once(self.pipelines[home].outbox for home in acked):
                for home, seqs in acked.items():
                    try:
                        self.pipelines[home].outbox.ack_many(seqs)
                    except OutboxError as exc:
                        what = f"{len(seqs)} sent items stay in the outbox: "
                        self._retry_later(home, exc, what)
                        continue
                    self.published += len(seqs)
        except OutboxError as exc:
            log.error("cannot sync the acks of a window (sent again after a power cut): %s", exc)

    def _retry_later(self, home: str, exc: OutboxError, what: str = "") -> None:
        """Out of the line until the pause is over: no busy loop on a broken disk."""
        log.error("home %s: %s%s; trying again in %g s", home, what, exc, OUTBOX_RETRY_S)
        if home in self._ready_set:
            self._ready_set.discard(home)
            self._ready.remove(home)
        asyncio.get_running_loop().call_later(OUTBOX_RETRY_S, self.mark, home)
