"""The lines of `eldercare bench --workers`: ingest by worker count beside the raw rate of
the same phase, alert latency with 2 workers, failover."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import HomesResult


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return "never" if math.isinf(value) else f"{value:.1f}"


def workers_lines(rows: Sequence[HomesResult]) -> list[str]:
    lines: list[str] = []
    for row in rows:
        workers = row.workers
        if workers is None:
            continue
        lines.append(f"hub workers on PostgreSQL at {row.homes:,} homes:")
        for ingest in workers.ingest:
            ratio = ingest.readings_s / ingest.raw_readings_s if ingest.raw_readings_s else 0
            lines.append(
                f"  {ingest.workers} worker(s): {ingest.readings_s:,.0f} readings/s "
                f"({ratio:.1%} of raw {ingest.raw_readings_s:,.0f} in that phase); "
                f"{ingest.stored:,} of {ingest.readings:,} stored; messages per worker "
                f"{ingest.per_worker_messages}"
            )
        latency = workers.latency
        if latency is not None:
            lines.append(
                f"  alerts with 2 workers, on one worker's WebSocket: p50 "
                f"{_ms(latency.percentile(50))} ms, p99 {_ms(latency.percentile(99))} ms, "
                f"{latency.alerts}/{latency.events} alerts"
            )
        failover = workers.failover
        if failover is not None:
            lines.append(
                f"  failover: SIGKILL to the worker back {failover.restart_s:.2f} s, to its "
                f"messages flowing {failover.flowing_s:.2f} s; {failover.lost} of "
                f"{failover.published:,} lost, {failover.duplicates} duplicates skipped"
            )
        elif workers.failover_failed:
            lines.append(f"  failover: not measured: {workers.failover_failed}")
    return ["", *lines] if lines else []
