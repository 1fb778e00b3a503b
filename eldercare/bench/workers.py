"""Several hub workers on one PostgreSQL (``--workers``): ingest with 1, 2 and 3 workers
against the raw subscriber of the same phase, alert latency with 2 workers through one
worker's WebSocket (the others' alerts reach it through hub.feed_relay), and failover: a
worker killed with SIGKILL in a live stream and started again in its slot, as its
supervisor does.

Each worker is an ``eldercare hub`` process of its own (eldercare.bench.worker_pool), so
they compete for the machine's cores as real workers would.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from transport.credentials import broker_url

from .ingest import count_readings
from .latency import LatencyRow, _load_beside_flood, _ws_url, dispatcher_token
from .load import LoadPlan
from .raw_subscriber import (
    RawSubscriber,
    _close,
    _connect,
    _paho_client,
    forget_session,
    publish_all,
)
from .sizes import STALL_S, Sizes, log
from .traffic import READINGS_PER_MESSAGE, backlog
from .worker_pool import WorkerPool

WORKER_COUNTS = (1, 2, 3)
FAILOVER_RATE = 400  # telemetry messages/s of the live stream
FAILOVER_S = 12.0  # the stream's length; the kill comes at a third of it


@dataclass
class WorkersIngestRow:
    workers: int
    readings: int
    raw_readings_s: float
    stored: int
    drained_while_starting: int  # stored before the timing began (0 unless left over)
    seconds: float
    per_worker_messages: list[int]

    @property
    def readings_s(self) -> float:
        timed = self.readings - self.drained_while_starting
        return timed / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "readings": self.readings,
            "stored": self.stored,
            "raw_readings_per_s": round(self.raw_readings_s, 1),
            "hub_readings_per_s": round(self.readings_s, 1),
            "hub_vs_raw": round(self.readings_s / self.raw_readings_s, 4)
            if self.raw_readings_s
            else None,
            "seconds": round(self.seconds, 3),
            "drained_while_starting": self.drained_while_starting,
            "messages_per_worker": self.per_worker_messages,
        }


@dataclass
class FailoverRow:
    published: int  # messages
    stored: int  # messages (received rows)
    restart_s: float  # SIGKILL to the restarted worker connected
    flowing_s: float  # SIGKILL to its first stored batch
    duplicates: int  # messages the restarted worker found already stored

    @property
    def lost(self) -> int:
        return self.published - self.stored

    def as_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "stored": self.stored,
            "lost": self.lost,
            "kill_to_connected_s": round(self.restart_s, 3),
            "kill_to_flowing_s": round(self.flowing_s, 3),
            "duplicates_skipped": self.duplicates,
            "stream_messages_per_s": FAILOVER_RATE,
        }


@dataclass
class WorkersResult:
    ingest: list[WorkersIngestRow] = field(default_factory=list)
    latency: LatencyRow | None = None
    failover: FailoverRow | None = None
    failover_failed: str | None = None  # why the failover was not measured

    def as_dict(self) -> dict[str, Any]:
        failover = self.failover.as_dict() if self.failover else None
        return {
            "ingest": [row.as_dict() for row in self.ingest],
            "alerts_with_2_workers": self.latency.as_dict() if self.latency else None,
            "failover": failover
            or ({"failed": self.failover_failed} if self.failover_failed else None),
        }


def forget_stored(database: str) -> None:
    """Empty what one phase stored, so the next one's seqs are news again."""
    engine = create_engine(database)
    try:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE received, readings, reading_hours"))
    finally:
        engine.dispose()


async def workers_phases(
    url: str, database: str, folder: Path, prefix: str, homes: int, sizes: Sizes
) -> WorkersResult:
    result = WorkersResult()
    messages = await asyncio.to_thread(backlog, prefix, homes, sizes.messages)
    for count in WORKER_COUNTS:
        await asyncio.to_thread(forget_stored, database)
        row = await workers_ingest(url, database, folder / f"ingest-{count}", prefix, homes,
                                   messages, count)  # fmt: skip
        log(
            f"{homes} homes, {count} workers: {row.readings_s:,.0f} readings/s "
            f"(raw {row.raw_readings_s:,.0f}); {row.stored:,} of {row.readings:,} stored"
        )
        result.ingest.append(row)
    await asyncio.to_thread(forget_stored, database)
    result.latency = await workers_latency(url, database, folder / "latency", prefix, homes, sizes)
    log(f"{homes} homes, 2 workers: alert p99 {result.latency.percentile(99)} ms")
    await asyncio.to_thread(forget_stored, database)
    try:
        result.failover = await failover(url, database, folder / "failover", prefix, homes)
    except (TimeoutError, RuntimeError) as exc:  # the figures measured so far still count
        result.failover_failed = f"{exc} ({_tail(folder / 'failover' / 'worker-2.log')})"
        log(f"{homes} homes, failover not measured: {result.failover_failed}")
        return result
    log(f"{homes} homes, failover: {result.failover.as_dict()}")
    return result


def _tail(path: Path, lines: int = 5) -> str:
    """The last lines of a worker's log: what it was doing when it was given up on."""
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"no log: {exc}"


async def workers_ingest(
    url: str,
    database: str,
    folder: Path,
    prefix: str,
    homes: int,
    messages: list[tuple[str, bytes]],
    count: int,
) -> WorkersIngestRow:
    """The backlog queued for the raw subscriber and drained by it; then published at the
    broker's pace to ``count`` workers already connected (a publisher an order of magnitude
    faster than a hub): their rate is from the first publish to the last reading stored.
    (Queued for offline workers, each would drain its share as soon as it connects, one
    after the other: their start-up, not their ingest, would be measured.)"""
    broker = broker_url(url)
    raw = RawSubscriber(broker, f"bench-raw-w{count}-{homes}", f"{prefix}/+/telemetry")
    pool = WorkerPool(url, database, prefix, folder, count, f"ingest{count}h{homes}")
    expected = len(messages) * READINGS_PER_MESSAGE
    try:
        await asyncio.to_thread(raw.create_session)
        await asyncio.to_thread(publish_all, broker, messages, f"bench-publisher-w{count}")
        raw_received, raw_s = await asyncio.to_thread(raw.drain, len(messages))
        await asyncio.to_thread(forget_session, broker, raw.client_id)
        await pool.start()
        before = await asyncio.to_thread(count_readings, database)
        started = time.perf_counter()
        publishing = asyncio.create_task(
            asyncio.to_thread(publish_all, broker, messages, f"bench-publisher-w{count}")
        )
        seconds = await _until_stored(database, len(messages), started)
        await publishing
        per_worker = [int(c.get("messages", 0)) for c in await pool.counts()]
    finally:
        await pool.close()
        for worker in pool.workers:
            await asyncio.to_thread(forget_session, broker, worker.client_id)
    raw_rate = raw_received * READINGS_PER_MESSAGE / raw_s if raw_s > 0 else 0.0
    return WorkersIngestRow(
        workers=count,
        readings=expected,
        raw_readings_s=raw_rate,
        stored=await asyncio.to_thread(count_readings, database),
        drained_while_starting=before,
        seconds=seconds,
        per_worker_messages=per_worker,
    )


async def _until_stored(database: str, expected: int, started: float) -> float:
    """Seconds from ``started`` until ``expected`` messages are stored (or until nothing
    moved for STALL_S). Counted in ``received`` on one connection: asking the workers'
    /health this often would cost them more than the count costs PostgreSQL."""
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            seen, still_since = -1, time.perf_counter()
            while True:
                stored = await asyncio.to_thread(_count_received, connection)
                now = time.perf_counter()
                if stored >= expected:
                    return now - started
                if stored != seen:
                    seen, still_since = stored, now
                elif now - still_since > STALL_S:
                    return now - started
                await asyncio.sleep(0.05)
    finally:
        engine.dispose()


def _count_received(connection: Any) -> int:
    count = int(connection.scalar(text("SELECT count(*) FROM received")) or 0)
    connection.commit()  # a new snapshot for the next count
    return count


async def workers_latency(
    url: str, database: str, folder: Path, prefix: str, homes: int, sizes: Sizes, count: int = 2
) -> LatencyRow:
    """Alert latency with ``count`` workers, timed on the first worker's WebSocket."""
    pool = WorkerPool(url, database, prefix, folder, count, f"latency{homes}w{count}")
    token = await asyncio.to_thread(dispatcher_token, database)
    try:
        await pool.start()
        plan = LoadPlan(
            broker=url,
            ws_url=_ws_url(pool.workers[0].url, token),
            prefix=prefix,
            homes=homes,
            events=sizes.events,
            event_rate=sizes.event_rate,
            warmup_s=sizes.warmup_s,
            first_seq=1,
        )
        load, _ = await _load_beside_flood(mp.get_context("spawn"), plan, None)
        taken = await pool.total("messages")
    finally:
        await pool.close()
        for worker in pool.workers:
            await asyncio.to_thread(forget_session, broker_url(url), worker.client_id)
    return LatencyRow.of_load(load, taken)


async def failover(url: str, database: str, folder: Path, prefix: str, homes: int) -> FailoverRow:
    """A live stream to 2 workers; the second is SIGKILLed at a third of it and started
    again at once in its slot (its supervisor's restart)."""
    broker = broker_url(url)
    messages = await asyncio.to_thread(backlog, prefix, homes, int(FAILOVER_RATE * FAILOVER_S))
    pool = WorkerPool(url, database, prefix, folder, 2, f"failover{homes}")
    try:
        await pool.start()
        stream = threading.Thread(
            target=_paced, args=(broker, messages, FAILOVER_RATE), daemon=True
        )
        stream.start()
        await asyncio.sleep(FAILOVER_S / 3)
        victim = pool.workers[1]
        killed = time.perf_counter()
        await asyncio.to_thread(victim.kill)
        victim.spawn()
        await victim.until_connected()
        connected = time.perf_counter() - killed
        while not (await victim.health()).get("ingest", {}).get("messages"):
            await asyncio.sleep(0.1)
        flowing = time.perf_counter() - killed
        await asyncio.to_thread(stream.join)
        stored = await _until_received(database, len(messages))
        duplicates = int((await victim.health()).get("ingest", {}).get("duplicates", 0))
    finally:
        await pool.close()
        for worker in pool.workers:
            await asyncio.to_thread(forget_session, broker, worker.client_id)
    return FailoverRow(len(messages), stored, connected, flowing, duplicates)


async def _until_received(database: str, expected: int) -> int:
    seen, still_since = -1, time.perf_counter()
    while True:
        stored = await asyncio.to_thread(_received, database)
        if stored >= expected:
            return stored
        if stored != seen:
            seen, still_since = stored, time.perf_counter()
        elif time.perf_counter() - still_since > STALL_S:
            return stored
        await asyncio.sleep(0.2)


def _received(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM received")) or 0)
    finally:
        engine.dispose()


def _paced(url: Any, messages: list[tuple[str, bytes]], rate: float) -> None:
    """Publish QoS 1 at ``rate`` messages a second, as homes send, not as a backlog."""
    client = _paho_client(url, "bench-failover-stream", clean=True)
    client.max_inflight_messages_set(1000)
    _connect(client, url)
    started = time.perf_counter()
    pending = []
    for n, (topic, payload) in enumerate(messages):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        pending.append(client.publish(topic, payload, qos=1))
    for info in pending:
        info.wait_for_publish(10)
    _close(client)
