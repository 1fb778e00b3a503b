"""Can one process on one core host N homes? ``python -m eldercare.bench.hosted --homes 1000``

Not part of the test suite. Two private Mosquittos; the hosted process (this one) is pinned
to one CPU, the publisher (a child process) and the brokers to the others, so the CPU time
measured is the hosted edges' own.

Traffic: ``--templates`` homes are simulated (simulators.simulate_home, one day), a slice of
``--hours`` from 08:00 is encoded to real device payloads (encode_stream, zigbee base
``zigbee2mqtt/<home>``); home i replays template i % T under its own id and topics, shifted
by a random offset (< 60 s) so that homes do not speak in lockstep. Device clocks are far
from the wall clock in an accelerated run, so the pipelines use ClockLimits.unbounded() and
the wall-clock tick is off (it would raise "no activity" everywhere).

Reported: messages offered vs handled, handled/s, CPU seconds (user+sys) and CPU per
message of the hosted process, backlog, RSS per home after start and after the traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX
from devices.codec import ClockLimits
from edge import EdgeSettings, HostedEdges
from eldercare.bench.latency import percentile
from eldercare.broker import Broker, start_broker
from simulators.homes import make_home_configs
from simulators.payloads import DeviceMessage, encode_stream
from simulators.publish import merge_by_time, publish
from simulators.simulation import simulate_home

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event

PREFIX = DEFAULT_PREFIX
START = datetime(2026, 3, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 7


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def home_configs(homes: int, templates: int) -> list[HomeConfig]:
    base = make_home_configs(templates, SEED)
    return [base[i % templates].model_copy(update={"home": f"h{i + 1:04d}"}) for i in range(homes)]


def template_traffic(templates: int, hours: float) -> list[list[DeviceMessage]]:
    begin, end = START + timedelta(hours=8), START + timedelta(hours=8 + hours)
    out = []
    for config in make_home_configs(templates, SEED):
        sim = simulate_home(config, start=START, days=1, seed=SEED)
        stream = encode_stream(
            sim.readings(), config, prefix=PREFIX, zigbee_base=f"zigbee2mqtt/{config.home}"
        )
        out.append([m for m in stream if begin <= m.ts < end])
    return out


def traffic(homes: int, templates: int, hours: float) -> list[DeviceMessage]:
    per_template = template_traffic(templates, hours)
    rng = random.Random(SEED)
    streams = []
    for i in range(homes):
        template = f"h{i % templates + 1:03d}"
        home = f"h{i + 1:04d}"
        shift = timedelta(seconds=rng.uniform(0, 60))
        streams.append(
            [
                DeviceMessage(
                    topic=m.topic.replace(f"/{template}/", f"/{home}/", 1),
                    payload=m.payload,
                    ts=m.ts + shift,
                    device=m.device,
                    home=home,
                    qos=m.qos,
                )
                for m in per_template[i % templates]
            ]
        )
    return list(merge_by_time(streams))


def publisher(
    args: argparse.Namespace, url: str, go: Event, sent: Synchronized[int], result: Queue[Any]
) -> None:
    """Child process: build the traffic, wait for go, publish at the offered rate."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})
    messages = traffic(args.homes, args.templates, args.hours)
    span = (messages[-1].ts - messages[0].ts).total_seconds()
    speed = 0.0 if args.rate <= 0 else span * args.rate / len(messages)
    result.put(("ready", len(messages), span))
    go.wait()

    def counted() -> Iterator[DeviceMessage]:
        for n, message in enumerate(messages, 1):
            if n % 200 == 0:
                sent.value = n
            yield message
        sent.value = len(messages)

    report = asyncio.run(publish(counted(), url, speed=speed, client_id="bench-publisher"))
    result.put(("done", report.messages, report.elapsed_s, report.max_lag_s))


@dataclass
class HostedRun:
    """What one run measured, the figures of the report before they are derived."""

    offered: int
    span_s: float
    build_s: float
    rss_start: int
    rss_built: int
    rss_after: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    max_backlog: int = 0
    stalls_s: list[float] = field(default_factory=list)  # the loop's lateness, sampled
    publisher: tuple[Any, ...] = ()  # ("done", messages, elapsed_s, max_lag_s)
    publish_end: float = 0.0  # perf_counter when the publisher was seen done


def hosted_edges(
    configs: list[HomeConfig], local: Broker, uplink: Broker, data: Path, telemetry_every: float
) -> HostedEdges:
    settings = EdgeSettings(
        local=local.url,
        uplink=uplink.hosted_url("bench", [config.home for config in configs]),
        data_dir=data,
        prefix=PREFIX,
        process_id="bench",
        clock=ClockLimits.unbounded(),
        tick_every_s=1e9,
        telemetry_every_s=telemetry_every,
        heartbeat_every_s=60,
    )
    return HostedEdges(configs, settings)


async def bench(
    args: argparse.Namespace,
    local: Broker,
    uplink: Broker,
    data: Path,
    go: Event,
    sent: Synchronized[int],
    result: Queue[Any],
) -> dict[str, Any]:
    """Host the homes, let the publisher go, follow until all is handled; the figures."""
    kind, offered, span = await asyncio.to_thread(result.get)
    if kind != "ready":
        raise RuntimeError(f"the publisher said {kind!r} before it was ready")
    rss0 = rss_bytes()
    configs = home_configs(args.homes, args.templates)
    t = time.perf_counter()
    hosted = hosted_edges(configs, local, uplink, data, args.telemetry_every)
    run = HostedRun(offered, span, time.perf_counter() - t, rss0, rss_bytes())
    task = asyncio.create_task(hosted.run())
    while not (hosted.local_connected.is_set() and hosted.uplink_connected.is_set()):
        if task.done():  # it stopped before both sessions were up: say why, never hang
            task.result()
            raise RuntimeError("the hosted edges stopped before they connected")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    cpu0, wall0 = os.times(), time.perf_counter()
    go.set()
    watch = asyncio.create_task(watch_the_loop(run.stalls_s), name="watch-the-loop")
    await follow(hosted, run, sent, result)
    watch.cancel()
    run.wall_s = time.perf_counter() - wall0
    cpu1 = os.times()
    run.cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    run.rss_after = rss_bytes()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return figures(args, hosted, run)


async def watch_the_loop(stalls_s: list[float], every_s: float = 0.05) -> None:
    """How late the event loop wakes a sleeper: while it is late, every home's messages
    wait (a stall), however fast the process is on average."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(every_s)
        stalls_s.append(max(0.0, time.perf_counter() - asked - every_s))


async def follow(
    hosted: HostedEdges, run: HostedRun, sent: Synchronized[int], result: Queue[Any]
) -> None:
    """Until every message offered is handled, or nothing more arrives for 3 s after the
    publisher is done; the largest backlog on the way."""
    last, still = -1, 0.0
    while True:
        await asyncio.sleep(0.25)
        handled = hosted.messages_handled
        run.max_backlog = max(run.max_backlog, sent.value - handled)
        if not run.publisher and not result.empty():
            run.publisher = result.get()
            run.publish_end = time.perf_counter()
        if run.publisher:
            if handled >= run.offered:
                break
            still = still + 0.25 if handled == last else 0.0
            if still >= 3:  # nothing more arrives: the rest was dropped on the way
                break
        last = handled


def figures(args: argparse.Namespace, hosted: HostedEdges, run: HostedRun) -> dict[str, Any]:
    homes, wall, cpu = args.homes, run.wall_s, run.cpu_s
    _, published, publish_s, max_lag_s = run.publisher
    real_time_rate = run.offered / (args.hours * 3600)
    return {
        "homes": homes,
        "messages_offered": run.offered,
        "simulated_span_s": round(run.span_s),
        "real_time_rate_msg_s": round(real_time_rate, 1),
        "target_rate_msg_s": args.rate or "max",
        "publisher_rate_msg_s": round(published / publish_s, 1),
        "publisher_max_lag_s": round(max_lag_s, 2),
        "messages_handled": hosted.messages_handled,
        "handled_rate_msg_s": round(hosted.messages_handled / wall, 1),
        "speedup_over_real_time": round(hosted.messages_handled / wall / real_time_rate, 1),
        "drain_after_publisher_s": round(time.perf_counter() - run.publish_end - 0.25, 2),
        "max_backlog_msgs": run.max_backlog,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_utilisation": round(cpu / wall, 2),
        "cpu_us_per_msg": round(cpu / max(hosted.messages_handled, 1) * 1e6, 1),
        "events": sum(p.counts.events for p in hosted.pipelines.values()),
        "uplink_published": hosted.published,
        "refused": sum(sum(p.counts.refused.values()) for p in hosted.pipelines.values()),
        "loop_stall_p99_ms": round((percentile(run.stalls_s, 99) or 0.0) * 1000, 1),
        "loop_stall_max_ms": round(max(run.stalls_s, default=0.0) * 1000, 1),
        "build_s": round(run.build_s, 2),
        "rss_per_home_kib_built": round((run.rss_built - run.rss_start) / homes / 1024, 1),
        "rss_per_home_kib_after": round((run.rss_after - run.rss_start) / homes / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=100)
    parser.add_argument("--hours", type=float, default=1.0, help="simulated hours per home")
    parser.add_argument("--templates", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0, help="offered msg/s (0: max)")
    parser.add_argument("--telemetry-every", type=float, default=10.0)
    args = parser.parse_args(argv)
    ctx = mp.get_context("spawn")
    go, sent, result = ctx.Event(), ctx.Value("l", 0), ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="bench-hosted-") as tmp:
        root = Path(tmp)
        # The devices' broker as a home's (anonymous, loopback); the hub's with its ACL.
        local, uplink = start_broker(root / "local", secured=False), start_broker(root / "uplink")
        try:
            others = set(range(1, os.cpu_count() or 2)) or {0}
            for broker in (local, uplink):
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(broker.process.pid, others)
            os.sched_setaffinity(0, {0})
            child = ctx.Process(target=publisher, args=(args, local.url, go, sent, result))
            child.start()
            try:
                report = asyncio.run(bench(args, local, uplink, root / "data", go, sent, result))
            finally:
                child.join(timeout=30)
                if child.is_alive():
                    child.terminate()
        finally:
            local.stop()
            uplink.stop()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
