"""`eldercare replay FILE --config HOME`: recorded readings through the detectors, no broker.

Readings may be unsorted within a few seconds (as they arrive from several devices); a
small reorder buffer puts them back in event-time order before the detectors see them.
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO

from analytics import AnalyticsError, Event, HomeMonitor
from contracts.errors import ContractError, ReadingError
from contracts.home import HomeConfig
from contracts.reading import Reading, read_jsonl

DEFAULT_REORDER_S = 10.0
SHOWN_ERRORS = 10


def in_event_time(readings: Iterable[Reading], reorder_s: float) -> Iterator[Reading]:
    """Yield readings sorted by event time, given input that is at most ``reorder_s`` out
    of order; later stragglers are passed on as they come (the monitor tolerates them)."""
    pending: list[tuple[float, int, Reading]] = []
    newest = float("-inf")
    for order, reading in enumerate(readings):
        ts = reading.epoch
        newest = max(newest, ts)
        heapq.heappush(pending, (ts, order, reading))
        while pending and pending[0][0] <= newest - reorder_s:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def replay(
    readings: Iterable[Reading], config: HomeConfig, *, reorder_s: float = DEFAULT_REORDER_S
) -> Iterator[Event]:
    """Every event raised, updated or cleared, in event time. Pure given its input."""
    monitor = HomeMonitor(config)
    for reading in in_event_time(readings, reorder_s):
        yield from monitor.feed(reading)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Feed recorded readings of one home (canonical readings as JSON Lines) through the "
        "home's detectors, as the edge would, and print every event raised, updated or "
        "cleared as JSON Lines. No broker, no wall clock: the same file gives the same events."
    )
    parser.add_argument("file", help="readings as JSON Lines ('-' for standard input)")
    parser.add_argument("--config", required=True, help="home config (YAML or JSON)")
    parser.add_argument(
        "--reorder-s",
        type=float,
        default=DEFAULT_REORDER_S,
        help="how far out of order input may be (default %(default)s s)",
    )


def run(args: argparse.Namespace, out: IO[str] = sys.stdout) -> int:
    started = time.perf_counter()
    try:
        config = HomeConfig.load(args.config)
    except ContractError as exc:
        print(f"eldercare replay: {exc}", file=sys.stderr)
        return 2
    problems: Counter[str] = Counter()
    used: Counter[str] = Counter()

    def refuse(error: ReadingError) -> None:
        problems["bad line"] += 1
        if problems["bad line"] <= SHOWN_ERRORS:
            print(f"eldercare replay: skipped {error}", file=sys.stderr)

    def of_this_home(readings: Iterable[Reading]) -> Iterator[Reading]:
        for reading in readings:
            if reading.home == config.home:
                used["readings"] += 1
                yield reading
            else:
                problems["other home"] += 1

    source = sys.stdin if args.file == "-" else args.file
    kinds: Counter[str] = Counter()
    try:
        lines = read_jsonl(source, on_error=refuse)
        for event in replay(of_this_home(lines), config, reorder_s=args.reorder_s):
            kinds[f"{event.kind} {event.state}"] += 1
            out.write(event.to_json(config.tz))
            out.write("\n")
    except OSError as exc:
        print(f"eldercare replay: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except AnalyticsError as exc:
        print(f"eldercare replay: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n} {what}" for what, n in sorted(problems.items())) or "no bad input"
    if problems and not used["readings"]:  # a wrong file or a wrong --config, not a quiet day
        print(f"eldercare replay: no reading of home {config.home} ({summary})", file=sys.stderr)
        return 1
    print(
        f"eldercare replay: {sum(kinds.values())} events from {used['readings']} readings "
        f"({summary}) in {elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0
