"""Commands for a home's local side: the hub's (a voice prompt after an acknowledgement) and
the edge's own alarms, queued per home and sent in order (one home or many)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import aiomqtt

from transport.cancels import mqtt_call

from .pipeline import HomePipeline

log = logging.getLogger("edge.runtime")


@dataclass
class CommandCounts:
    """One home's commands to its local side, for its status."""

    forwarded: int = 0
    dropped: int = 0
    alarms: int = 0


class LocalCommands:
    """Each home's queue of at most ``max_queued`` (the oldest goes first, counted),
    forwarded home after home, each home's in order, QoS 1, on its ``local/command``."""

    def __init__(self, pipelines: Mapping[str, HomePipeline], max_queued: int):
        self.counts = {home: CommandCounts() for home in pipelines}
        self.max_queued = max_queued
        self._pipelines = pipelines
        self._queues: dict[str, deque[bytes]] = {}  # home -> its queue, only while non-empty
        self._line: deque[str] = deque()  # homes with queued commands, oldest first
        self._ready = asyncio.Event()

    def queued(self, home: str) -> int:
        return len(self._queues.get(home) or ())

    def status(self, home: str) -> dict[str, int]:
        """The ``commands`` of the home's status."""
        counts = self.counts[home]
        return {
            "forwarded": counts.forwarded,
            "dropped": counts.dropped,
            "alarms": counts.alarms,
            "queued": self.queued(home),
        }

    def queue(self, home: str, payload: bytes) -> None:
        """A command for ``home``'s local side (hub command or local alarm)."""
        queue = self._queues.get(home)
        if queue is None:
            queue = self._queues[home] = deque(maxlen=self.max_queued)
            self._line.append(home)
        elif len(queue) == queue.maxlen:
            self.counts[home].dropped += 1  # the oldest goes: the newest is the one that matters
        queue.append(payload)
        self._ready.set()
        log.info("home %s: command %s", home, payload[:200].decode(errors="replace"))

    def alarm(self, home: str, payload: bytes) -> None:
        """The edge's own alarm for a newly raised critical event in ``home``."""
        self.counts[home].alarms += 1
        self.queue(home, payload)

    async def forward(self, client: aiomqtt.Client) -> None:
        """Publish the queued commands for ever (one local session's task).

        A command leaves its queue only after its PUBACK: one cut off by a disconnect is
        sent again on the next local session.
        """
        while True:
            while self._line:
                home = self._line[0]
                queue = self._queues[home]
                topic = self._pipelines[home].topics.local_command
                while queue:
                    payload = queue[0]
                    await mqtt_call(client.publish(topic, payload, qos=1))
                    if queue and queue[0] is payload:  # not dropped for a newer one meanwhile
                        queue.popleft()
                    self.counts[home].forwarded += 1
                del self._queues[home]
                self._line.popleft()
            self._ready.clear()
            await self._ready.wait()
