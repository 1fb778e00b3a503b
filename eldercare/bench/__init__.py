"""`eldercare bench`: the hub's ingest rate and alert latency, side by side with the raw broker.

For each home count N (default 100, 1,000 and 10,000), in one run against one Mosquitto:

* **Ingest.** ``--messages`` telemetry messages as edges send them (``<prefix>/<home>/
  telemetry``, ten canonical readings each, homes taking turns) are encoded once and
  published as a backlog while two persistent sessions (clean session off, QoS 1) are
  offline: a plain paho subscriber (**raw**) and the real :class:`hub.service.Hub`
  (**hub**, SQLite store in a temp dir, the N homes registered beforehand). Each then
  connects and the time to drain the whole backlog is measured: raw until its last message
  arrives, hub until its ingestor has stored every reading. Draining a queued backlog
  measures the *consumer*, whatever the publisher's speed.
* **Alert latency.** The hub and its API served by uvicorn in this process; a child process
  (so its work does not share this interpreter's GIL) publishes background telemetry at
  the rate N homes really send it (one message per home every 10 s) and ``--events`` fall
  and SOS events spread over time, while listening on the API's ``/ws``. Latency is the
  WebSocket frame's arrival minus the event's publish, both on the child's clock.
* **Alert latency under a log-in flood.** The same again (``--login-clients``, default 12;
  0 skips it) while that many clients, in a process of their own, log in as fast as the
  hub answers: each log-in is an argon2 check, CPU by design, which must not delay alerts.

Prints the machine, a table, the goals with PASS/MISS, and one JSON document (stdout, or
the ``--json`` file). Exit status 1 means data was lost (a queued message or a reading
not stored), not that a goal was missed: the goals are measurements, not checks. An alert
that has not reached the WebSocket 30 s after the last event is reported late, and counts
as infinitely late in the percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eldercare.broker import Broker, BrokerError
from transport.broker_url import BrokerUrl

from .broker import mosquitto_version, start_bench_broker
from .ingest import IngestRow, ingest_phase
from .latency import LatencyRow, latency_phase, percentile
from .sizes import DEFAULT_HOMES, FULL, QUICK, STALL_S, Sizes, log
from .traffic import PREFIX, READINGS_PER_MESSAGE, TELEMETRY_EVERY_S, backlog, register_homes

__all__ = ["PREFIX", "READINGS_PER_MESSAGE", "add_arguments", "backlog", "percentile", "run"]

GOAL_INGEST_RATIO = 0.70
GOAL_P99_MS = 50.0
GOAL_P99_HOMES = 1_000
LOGIN_CLIENTS = 12  # the log-in flood beside the second latency run
FLOOD_SEQ_GAP = 10_000  # the flooded run's seqs, above every seq of the first run


# -- the run -----------------------------------------------------------------------------


async def bench_homes(
    url: str, folder: Path, prefix: str, homes: int, sizes: Sizes, login_clients: int = 0
) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{folder / 'hub.db'}"
    log(f"{homes} homes: registering")
    register_s = await asyncio.to_thread(register_homes, database, homes, prefix)
    messages = await asyncio.to_thread(backlog, prefix, homes, sizes.messages)
    ingest = await ingest_phase(url, database, prefix, homes, messages)
    log(
        f"{homes} homes: raw {ingest.raw_readings_s:,.0f} readings/s, "
        f"hub {ingest.hub_readings_s:,.0f} readings/s; alert latency next"
    )
    first_seq = math.ceil(sizes.messages / homes) + 1
    latency = await latency_phase(url, database, prefix, homes, sizes, first_seq)
    flooded = None
    if login_clients:
        log(f"{homes} homes: alert latency again, with {login_clients} clients logging in")
        flooded = await latency_phase(
            url, database, prefix, homes, sizes, first_seq + FLOOD_SEQ_GAP,
            login_clients=login_clients,
        )  # fmt: skip
    return {
        "homes": homes,
        "register_s": round(register_s, 2),
        "ingest": ingest.as_dict(),
        "alerts": latency.as_dict(),
        **({"alerts_login_flood": flooded.as_dict()} if flooded is not None else {}),
        # Kept for the table and the goals; not part of the JSON.
        "_ingest": ingest,
        "_latency": latency,
        "_flooded": flooded,
    }


def machine() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return None


def goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        ingest: IngestRow = row["_ingest"]
        out.append(
            {
                "goal": f"hub ingest >= {GOAL_INGEST_RATIO:.0%} of raw at {row['homes']:,} homes",
                "measured": f"{ingest.ratio:.1%}",
                "pass": ingest.ratio >= GOAL_INGEST_RATIO,
            }
        )
    at_goal = [row for row in rows if row["homes"] == GOAL_P99_HOMES]
    p99 = at_goal[0]["_latency"].percentile(99) if at_goal else None
    out.append(
        {
            "goal": f"alert p99 <= {GOAL_P99_MS:g} ms at {GOAL_P99_HOMES:,} homes",
            "measured": "not measured" if not at_goal else _ms(p99) + " ms",
            "pass": None if not at_goal else (p99 is not None and p99 <= GOAL_P99_MS),
        }
    )
    return out


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"> {STALL_S * 1000:.0f}" if math.isinf(value) else f"{value:.1f}"


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        "homes",
        "raw msg/s",
        "raw readings/s",
        "hub readings/s",
        "hub/raw %",
        "alert p50 ms",
        "p99 ms",
        "max ms",
        "alerts",
    )
    lines = [header]
    for row in rows:
        ingest: IngestRow = row["_ingest"]
        latency: LatencyRow = row["_latency"]

        lines.append(
            (
                f"{row['homes']:,}",
                f"{ingest.raw_msg_s:,.0f}",
                f"{ingest.raw_readings_s:,.0f}",
                f"{ingest.hub_readings_s:,.0f}",
                f"{ingest.ratio:.1%}".removesuffix("%"),
                _ms(latency.percentile(50)),
                _ms(latency.percentile(99)),
                _ms(latency.percentile(100)),
                f"{latency.alerts}/{latency.events}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True))
            for line in lines]  # fmt: skip
    text.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(text)


def flood_table(rows: list[dict[str, Any]]) -> str | None:
    """Alert latency without and with the log-in flood, side by side."""
    flooded_rows = [row for row in rows if row.get("_flooded") is not None]
    if not flooded_rows:
        return None
    header = ("homes", "p50 ms", "p99 ms", "flood p50 ms", "flood p99 ms", "log-ins/s", "alerts")
    lines = [header]
    for row in flooded_rows:
        quiet: LatencyRow = row["_latency"]
        flooded: LatencyRow = row["_flooded"]
        logins = flooded.logins or {}
        lines.append(
            (
                f"{row['homes']:,}",
                _ms(quiet.percentile(50)),
                _ms(quiet.percentile(99)),
                _ms(flooded.percentile(50)),
                _ms(flooded.percentile(99)),
                f"{logins.get('logins_per_s', 0):.1f}",
                f"{flooded.alerts}/{flooded.events}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True))
            for line in lines]  # fmt: skip
    text.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(text)


async def bench(args: argparse.Namespace, sizes: Sizes, homes: list[int]) -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eldercare-bench-") as tmp:
        root = Path(tmp)
        broker: Broker | None = None
        if args.broker:
            url = args.broker
        else:
            broker = start_bench_broker(root / "mosquitto", inflight=args.inflight)
            url = broker.url
        try:
            rows = [
                await bench_homes(
                    url, root / f"homes-{n}", args.prefix, n, sizes, args.login_clients
                )
                for n in homes
            ]
        finally:
            if broker is not None:
                broker.stop()
    return {
        "machine": machine(),
        "broker": {
            "url": "private mosquitto" if broker is not None else str(BrokerUrl.parse(url)),
            "mosquitto": mosquitto_version() if broker is not None else None,
            "max_inflight_messages": args.inflight if broker is not None else None,
            "max_queued_messages": 0 if broker is not None else None,
        },
        "settings": {
            "messages": sizes.messages,
            "readings_per_message": READINGS_PER_MESSAGE,
            "events": sizes.events,
            "event_rate_per_s": sizes.event_rate,
            "telemetry_every_s": TELEMETRY_EVERY_S,
            "prefix": args.prefix,
        },
        "rows": rows,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def _home_counts(text: str) -> list[int]:
    try:
        counts = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 100,1000, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("home counts must be at least 1")
    return counts


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Hub ingest rate vs a raw subscriber on the same broker, and the latency from an "
        "event's publish to its alert on the WebSocket, at several home counts."
    )
    parser.add_argument(
        "--homes",
        type=_home_counts,
        default=None,
        help="home counts, comma separated (default 100,1000,10000; with --quick 20)",
    )
    parser.add_argument(
        "--messages", type=_positive(int), help="telemetry messages per backlog (default 20000)"
    )
    parser.add_argument(
        "--events", type=_positive(int), help="events per latency phase (default 200)"
    )
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="use this broker (mqtt://host:port) instead of a private Mosquitto; it must "
        "queue the whole backlog for an offline session (max_queued_messages)",
    )
    parser.add_argument(
        "--inflight",
        type=int,
        default=1000,
        help="the private Mosquitto's max_inflight_messages (default 1000, twice the hub's "
        "batch of 500; Mosquitto's own default is 20)",
    )
    parser.add_argument(
        "--login-clients",
        type=int,
        default=LOGIN_CLIENTS,
        help=f"clients logging in non-stop during a second latency run (default "
        f"{LOGIN_CLIENTS}; 0: no such run)",
    )
    parser.add_argument("--prefix", default=PREFIX, help=f"topic prefix (default {PREFIX})")
    parser.add_argument(
        "--json", metavar="FILE", help="write the JSON document here instead of to stdout"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, a few seconds (for tests)"
    )


def run(args: argparse.Namespace) -> int:
    base = QUICK if args.quick else FULL
    sizes = Sizes(
        messages=args.messages or base.messages,
        events=args.events or base.events,
        event_rate=base.event_rate,
        warmup_s=base.warmup_s,
    )
    homes = args.homes or ([20] if args.quick else list(DEFAULT_HOMES))
    if args.broker:
        BrokerUrl.parse(args.broker)  # a bad URL fails before anything starts
    try:
        report = asyncio.run(bench(args, sizes, homes))
    except BrokerError as exc:
        print(f"eldercare bench: {exc}", file=sys.stderr)
        return 2
    rows = report["rows"]
    checks = goals(rows)
    facts = report["machine"]
    print(
        f"machine: {facts['cpus']} CPUs ({facts['cpus_usable']} usable), {facts['cpu_model']}; "
        f"Python {facts['python']}; SQLite {facts['sqlite']}; broker: "
        f"{report['broker']['url']} {report['broker']['mosquitto'] or ''}".rstrip()
    )
    print(
        f"{sizes.messages:,} telemetry messages x {READINGS_PER_MESSAGE} readings per backlog; "
        f"{sizes.events} events per latency phase; {report['elapsed_s']} s in all"
    )
    print()
    print(table(rows))
    flooded = flood_table(rows)
    if flooded is not None:
        print()
        print(f"alert latency with {args.login_clients} clients logging in non-stop:")
        print(flooded)
    print()
    for check in checks:
        verdict = {True: "PASS", False: "MISS", None: "----"}[check["pass"]]
        print(f"{verdict}  {check['goal']}: {check['measured']}")
    for row in rows:
        ingest: IngestRow = row["_ingest"]
        latency: LatencyRow = row["_latency"]
        if ingest.raw_received != ingest.messages:
            print(
                f"LOST at {row['homes']:,} homes: the broker delivered {ingest.raw_received} of "
                f"{ingest.messages} queued messages (its max_queued_messages?)"
            )
        if ingest.stored_readings != ingest.readings:
            print(
                f"LOST at {row['homes']:,} homes: the hub stored {ingest.stored_readings} of "
                f"{ingest.readings} readings"
            )
        flooded_row: LatencyRow | None = row["_flooded"]
        if flooded_row is not None and flooded_row.missing:
            print(
                f"LATE at {row['homes']:,} homes under the log-in flood: {flooded_row.missing} "
                f"of {flooded_row.events} alerts not on the WebSocket within {STALL_S:g} s"
            )
        if latency.missing:
            # Late, not lost: an overloaded hub is still working through its backlog.
            print(
                f"LATE at {row['homes']:,} homes: {latency.missing} of {latency.events} alerts "
                f"not on the WebSocket within {STALL_S:g} s of the last event"
            )
    lost = [
        row
        for row in rows
        if row["_ingest"].stored_readings != row["_ingest"].readings
        or row["_ingest"].raw_received != row["_ingest"].messages
    ]
    report["goals"] = checks
    report["rows"] = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    document = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json:
        Path(args.json).write_text(document + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    else:
        print()
        print(document)
    return 1 if lost else 0
