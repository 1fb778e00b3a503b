"""Can one process on one core host N homes? ``python -m eldercare.bench_hosted --homes 1000``

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
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX
from devices.codec import ClockLimits
from edge.hosted import HostedEdges
from eldercare.broker import start_broker
from simulators.homes import make_home_configs
from simulators.payloads import DeviceMessage, encode_stream
from simulators.publish import merge_by_time, publish
from simulators.simulation import simulate_home

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


def publisher(args, url: str, go, sent, result) -> None:
    """Child process: build the traffic, wait for go, publish at the offered rate."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})
    messages = traffic(args.homes, args.templates, args.hours)
    span = (messages[-1].ts - messages[0].ts).total_seconds()
    speed = 0.0 if args.rate <= 0 else span * args.rate / len(messages)
    result.put(("ready", len(messages), span))
    go.wait()

    def counted():
        for n, message in enumerate(messages, 1):
            if n % 200 == 0:
                sent.value = n
            yield message
        sent.value = len(messages)

    report = asyncio.run(publish(counted(), url, speed=speed, client_id="bench-publisher"))
    result.put(("done", report.messages, report.elapsed_s, report.max_lag_s))


async def bench(args, local, uplink, data: Path, go, sent, result) -> dict:
    kind, offered, span = await asyncio.to_thread(result.get)
    assert kind == "ready"
    rss0 = rss_bytes()
    configs = home_configs(args.homes, args.templates)
    t = time.perf_counter()
    hosted = HostedEdges(
        configs,
        local=local.url,
        uplink=uplink.url,
        data_dir=data,
        prefix=PREFIX,
        process_id="bench",
        clock=ClockLimits.unbounded(),
        tick_every_s=1e9,
        telemetry_every_s=args.telemetry_every,
        heartbeat_every_s=60,
    )
    build_s = time.perf_counter() - t
    rss_built = rss_bytes()
    task = asyncio.create_task(hosted.run())
    while not (hosted.local_connected.is_set() and hosted.uplink_connected.is_set()):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    cpu0, wall0 = os.times(), time.perf_counter()
    go.set()
    max_backlog, done = 0, None
    last, still = -1, 0.0
    while True:
        await asyncio.sleep(0.25)
        handled = hosted.messages_handled
        max_backlog = max(max_backlog, sent.value - handled)
        if done is None and not result.empty():
            done = result.get()
            publish_end = time.perf_counter()
        if done is not None:
            if handled >= offered:
                break
            still = still + 0.25 if handled == last else 0.0
            if still >= 3:  # nothing more arrives: the rest was dropped on the way
                break
        last = handled
    wall = time.perf_counter() - wall0
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    rss_after = rss_bytes()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    homes = args.homes
    real_time_rate = offered / (args.hours * 3600)
    return {
        "homes": homes,
        "messages_offered": offered,
        "simulated_span_s": round(span),
        "real_time_rate_msg_s": round(real_time_rate, 1),
        "target_rate_msg_s": args.rate or "max",
        "publisher_rate_msg_s": round(done[1] / done[2], 1),
        "publisher_max_lag_s": round(done[3], 2),
        "messages_handled": hosted.messages_handled,
        "handled_rate_msg_s": round(hosted.messages_handled / wall, 1),
        "speedup_over_real_time": round(hosted.messages_handled / wall / real_time_rate, 1),
        "drain_after_publisher_s": round(time.perf_counter() - publish_end - 0.25, 2),
        "max_backlog_msgs": max_backlog,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_utilisation": round(cpu / wall, 2),
        "cpu_us_per_msg": round(cpu / max(hosted.messages_handled, 1) * 1e6, 1),
        "events": sum(p.counts.events for p in hosted.pipelines.values()),
        "uplink_published": hosted.published,
        "refused": sum(sum(p.counts.refused.values()) for p in hosted.pipelines.values()),
        "build_s": round(build_s, 2),
        "rss_per_home_kib_built": round((rss_built - rss0) / homes / 1024, 1),
        "rss_per_home_kib_after": round((rss_after - rss0) / homes / 1024, 1),
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
        local, uplink = start_broker(root / "local"), start_broker(root / "uplink")
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
