"""The load of an alert-latency phase, run in a child process of its own (so its work does not
share the measuring interpreter's GIL): background telemetry at the rate N homes really send
it, events spread over time, and a client of the API's ``/ws`` that times each event's alert.

A latency is the WebSocket frame's arrival minus the event's publish, both on this process's
clock. The child needs neither SQLAlchemy nor FastAPI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import aiomqtt

from transport.credentials import broker_url

from .sizes import STALL_S
from .traffic import EVENT_KINDS, TELEMETRY_EVERY_S, event_document, home_id, telemetry_document

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from websockets.asyncio.client import ClientConnection


@dataclass(frozen=True)
class LoadPlan:
    """What the load process does; plain values, it crosses a process boundary."""

    broker: str
    ws_url: str
    prefix: str
    homes: int
    events: int
    event_rate: float
    warmup_s: float
    first_seq: int  # above every seq of the ingest phase: nothing is a duplicate
    seed: int = 11


@dataclass
class LoadResult:
    """What the load process saw; plain values, it crosses back to the measuring process."""

    events_published: int = 0
    alerts_received: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    telemetry_published: int = 0
    telemetry_s: float = 0.0
    other_frames: int = 0


def load_process(plan: LoadPlan, results: Queue[tuple[str, Any]]) -> None:
    """The child process: run the load and send back the result (or why it failed)."""
    try:
        results.put(("ok", asdict(asyncio.run(run_load(plan)))))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


async def run_load(plan: LoadPlan) -> LoadResult:
    """Background telemetry at N homes' real rate, events spread over time, WS listening."""
    from websockets.asyncio.client import connect

    load = AlertLoad(plan)
    client = _mqtt_client(plan.broker)
    async with connect(plan.ws_url, max_size=None) as ws, client:
        hello = json.loads(await ws.recv())
        if hello.get("type") != "hello":
            raise RuntimeError(f"unexpected first frame on /ws: {hello}")
        await load.run(ws, client)
    return load.result


def _mqtt_client(broker: str) -> aiomqtt.Client:
    url = broker_url(broker)
    # aiomqtt warns at more than 10 publishes awaiting their PUBACK; here that is the plan.
    quiet = logging.getLogger(__name__)
    quiet.setLevel(logging.ERROR)
    return aiomqtt.Client(
        **url.client_kwargs(),
        identifier=f"bench-load-{os.getpid()}",
        max_inflight_messages=0,
        logger=quiet,
    )


class AlertLoad:
    """One load run: the seqs each home's edge is at, the events whose alerts are awaited,
    and what came back."""

    def __init__(self, plan: LoadPlan):
        self.plan = plan
        self.result = LoadResult()
        self.all_in = asyncio.Event()
        self._rng = random.Random(plan.seed)
        self._seqs = [plan.first_seq] * plan.homes
        # The publish time of each event whose alert has not come yet, oldest first.
        self._pending: dict[tuple[str, str], deque[float]] = {}

    async def run(self, ws: ClientConnection, client: aiomqtt.Client) -> None:
        """Telemetry in the background, the events, then up to STALL_S for their alerts."""
        listener = asyncio.create_task(self.listen(ws))
        stop = asyncio.Event()
        telemetry = asyncio.create_task(self.send_telemetry(client, stop))
        try:
            await self.send_events(client)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STALL_S):
                    await self.all_in.wait()
        finally:
            stop.set()
            await telemetry
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    def _next_seq(self, index: int) -> int:
        self._seqs[index] += 1
        return self._seqs[index]

    async def listen(self, ws: ClientConnection) -> None:
        async for frame in ws:
            self._take_frame(frame, arrived=time.perf_counter())

    def _take_frame(self, frame: str | bytes, *, arrived: float) -> None:
        message = json.loads(frame)
        data = message.get("data") or {}
        alert = data.get("alert") or {}
        key = (str(alert.get("home")), str(alert.get("kind")))
        times = self._pending.get(key)
        # Only the edge's own raise/update of an alert we published counts; escalation
        # steps and home changes are other frames.
        from_edge = data.get("actor") == f"edge:{key[0]}"
        if message.get("type") != "alert" or not times or not from_edge:
            self.result.other_frames += 1
            return
        self.result.latencies_ms.append((arrived - times.popleft()) * 1000)
        self.result.alerts_received += 1
        if self.result.alerts_received >= self.plan.events:
            self.all_in.set()

    async def send_telemetry(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        """One message per home every TELEMETRY_EVERY_S, homes taking turns, until ``stop``."""
        rate = self.plan.homes / TELEMETRY_EVERY_S
        started = time.perf_counter()
        sent = 0
        sends: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            due = int((time.perf_counter() - started) * rate)
            for _ in range(due - sent):
                # Not awaited one by one: the PUBACK round trip would cap the rate.
                send = asyncio.create_task(self._publish_telemetry(client, sent % self.plan.homes))
                sends.add(send)
                send.add_done_callback(sends.discard)
                sent += 1
            await asyncio.sleep(0.01)
        if sends:
            await asyncio.gather(*sends)
        self.result.telemetry_published = sent
        self.result.telemetry_s = time.perf_counter() - started

    def _publish_telemetry(self, client: aiomqtt.Client, index: int) -> Coroutine[Any, Any, None]:
        # A plain function: the document and its seq are made now, in the order of sending.
        home = home_id(index)
        document = telemetry_document(home, self._next_seq(index), time.time(), self._rng)
        return client.publish(f"{self.plan.prefix}/{home}/telemetry", json.dumps(document), qos=1)

    async def send_events(self, client: aiomqtt.Client) -> None:
        """Falls and SOS, homes taking turns, each at a random moment in its slot."""
        plan = self.plan
        await asyncio.sleep(plan.warmup_s)
        started = time.perf_counter()
        slot = 1.0 / plan.event_rate
        for n in range(plan.events):
            # A random moment in its slot, so events do not line up with telemetry ticks.
            due = started + (n + self._rng.random()) * slot
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            index = n % plan.homes
            home, kind = home_id(index), EVENT_KINDS[n % len(EVENT_KINDS)]
            payload = json.dumps(event_document(home, kind, self._next_seq(index)))
            self._pending.setdefault((home, kind), deque()).append(time.perf_counter())
            await client.publish(f"{plan.prefix}/{home}/event", payload, qos=1)
            self.result.events_published += 1
