"""The `eldercare bench` command: its arguments, and one run over every home count against one
broker, each home count registered, then its ingest phase, its alert-latency phase and, with
``--login-clients``, alert latency again under a log-in flood."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eldercare.broker import Broker, BrokerError
from eldercare.influx_server import InfluxServer
from eldercare.postgres_server import PostgresServer
from transport.broker_url import BrokerUrl

from .broker import mosquitto_version, start_bench_broker
from .influx_ingest import influx_ingest_phase
from .ingest import ingest_phase
from .latency import latency_phase
from .report import HomesResult, goals, machine, summary
from .sizes import DEFAULT_HOMES, FULL, QUICK, Sizes, log
from .traffic import PREFIX, READINGS_PER_MESSAGE, TELEMETRY_EVERY_S, backlog, register_homes
from .workers import workers_phases

LOGIN_CLIENTS = 12  # the log-in flood beside the second latency run
FLOOD_SEQ_GAP = 10_000  # the flooded run's seqs, above every seq of the first run


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
    parser.add_argument(
        "--influx",
        action="store_true",
        help="also drain the backlog with a hub writing to a private InfluxDB (Debian's influxd)",
    )
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="also drain the backlog with a hub whose store is PostgreSQL (a private cluster "
        "from Debian's postgresql), beside the SQLite one",
    )
    parser.add_argument(
        "--workers",
        action="store_true",
        help="also measure several hub worker processes on one PostgreSQL (MQTT 5 shared "
        "subscriptions): ingest with 1, 2 and 3 workers, alert latency with 2, and failover "
        "after a SIGKILL",
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
    rows: list[HomesResult] = report["rows"]
    checks = goals(rows)
    print(summary(report, rows, checks, sizes, args.login_clients))
    report["goals"] = checks
    report["rows"] = [row.as_dict() for row in rows]
    document = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json:
        Path(args.json).write_text(document + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    else:
        print()
        print(document)
    return 1 if any(row.lost for row in rows) else 0


async def bench(args: argparse.Namespace, sizes: Sizes, homes: list[int]) -> dict[str, Any]:
    """Every home count against one broker: the report, its rows still HomesResults."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eldercare-bench-") as tmp:
        root = Path(tmp)
        broker: Broker | None = None
        if args.broker:
            url = args.broker
        else:
            broker = start_bench_broker(root / "mosquitto", inflight=args.inflight)
            url = broker.url
        influx = start_bench_influx() if args.influx else None
        postgres = PostgresServer().start() if args.postgresql or args.workers else None
        try:
            rows = [
                await bench_homes(
                    url,
                    root / f"homes-{n}",
                    args.prefix,
                    n,
                    sizes,
                    args.login_clients,
                    influx_url=influx.url if influx is not None else None,
                    postgres=postgres if args.postgresql else None,
                    workers_on=postgres if args.workers else None,
                )
                for n in homes
            ]
        finally:
            if broker is not None:
                broker.stop()
            if postgres is not None:
                postgres.stop()
            if influx is not None:
                influx.stop()
                shutil.rmtree(influx.folder, ignore_errors=True)
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


async def bench_homes(
    url: str,
    folder: Path,
    prefix: str,
    homes: int,
    sizes: Sizes,
    login_clients: int = 0,
    *,
    influx_url: str | None = None,
    postgres: PostgresServer | None = None,
    workers_on: PostgresServer | None = None,
) -> HomesResult:
    """One home count: registration, ingest, alert latency, and again under the flood."""
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
    with_influx = None
    if influx_url is not None:
        with_influx = await influx_ingest_phase(url, folder, prefix, homes, messages, influx_url)
        log(f"{homes} homes: with InfluxDB, hub {with_influx.hub_readings_s:,.0f} readings/s")
    on_postgresql = None
    if postgres is not None:
        database_pg = postgres.database(f"bench_{homes}")
        await asyncio.to_thread(register_homes, database_pg, homes, prefix)
        on_postgresql = await ingest_phase(url, database_pg, prefix, homes, messages)
        log(f"{homes} homes: on PostgreSQL, hub {on_postgresql.hub_readings_s:,.0f} readings/s")
    first_seq = math.ceil(sizes.messages / homes) + 1
    latency = await latency_phase(url, database, prefix, homes, sizes, first_seq)
    flooded = None
    if login_clients:
        log(f"{homes} homes: alert latency again, with {login_clients} clients logging in")
        flooded = await latency_phase(
            url, database, prefix, homes, sizes, first_seq + FLOOD_SEQ_GAP,
            login_clients=login_clients,
        )  # fmt: skip
    workers = None
    if workers_on is not None:
        database_workers = workers_on.database(f"bench_workers_{homes}")
        await asyncio.to_thread(register_homes, database_workers, homes, prefix)
        workers = await workers_phases(
            url, database_workers, folder / "workers", prefix, homes, sizes
        )
    return HomesResult(
        homes, register_s, ingest, latency, flooded, with_influx, on_postgresql, workers
    )


def start_bench_influx() -> InfluxServer:
    """A private InfluxDB, in a folder of its own the influxdb user can reach."""
    server = InfluxServer(Path(tempfile.mkdtemp(prefix="eldercare-bench-influx-")))
    server.start()
    return server
