"""What `eldercare bench` shows: the results of one home count, the machine it ran on, the
tables, the goals with PASS/MISS, and the lines that say what was lost or late.

The goals are measurements, not checks: missing one is reported, never an error. Losing
data (a queued message or a reading not stored) is.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .influx_ingest import InfluxIngestRow
from .ingest import IngestRow
from .latency import LatencyRow
from .sizes import STALL_S, Sizes
from .traffic import READINGS_PER_MESSAGE
from .workers import WorkersResult
from .workers_report import workers_lines

GOAL_INGEST_RATIO = 0.70
GOAL_P99_MS = 50.0
GOAL_P99_HOMES = 1_000


@dataclass(frozen=True)
class HomesResult:
    """One home count's phases: ingest, alert latency, and alert latency under the flood."""

    homes: int
    register_s: float
    ingest: IngestRow
    latency: LatencyRow
    flooded: LatencyRow | None  # None: no log-in flood was run
    influx: InfluxIngestRow | None = None  # the ingest phase with the InfluxDB sink (--influx)
    postgresql: IngestRow | None = None  # the ingest phase on PostgreSQL (--postgresql)
    workers: WorkersResult | None = None  # several hub workers (--workers)

    @property
    def lost(self) -> bool:
        ingest = self.ingest
        return ingest.stored_readings != ingest.readings or ingest.raw_received != ingest.messages

    def as_dict(self) -> dict[str, Any]:
        return {
            "homes": self.homes,
            "register_s": round(self.register_s, 2),
            "ingest": self.ingest.as_dict(),
            "alerts": self.latency.as_dict(),
            **({"alerts_login_flood": self.flooded.as_dict()} if self.flooded is not None else {}),
            **({"ingest_with_influxdb": self.influx.as_dict()} if self.influx is not None else {}),
            **(
                {"ingest_on_postgresql": self.postgresql.as_dict()}
                if self.postgresql is not None
                else {}
            ),
            **({"workers": self.workers.as_dict()} if self.workers is not None else {}),
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


def goals(rows: Sequence[HomesResult]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        out.append(
            {
                "goal": f"hub ingest >= {GOAL_INGEST_RATIO:.0%} of raw at {row.homes:,} homes",
                "measured": f"{row.ingest.ratio:.1%}",
                "pass": row.ingest.ratio >= GOAL_INGEST_RATIO,
            }
        )
    at_goal = [row for row in rows if row.homes == GOAL_P99_HOMES]
    p99 = at_goal[0].latency.percentile(99) if at_goal else None
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


def _aligned(lines: list[tuple[str, ...]]) -> str:
    """Cells right-aligned in columns, a rule under the header."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = [" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True))
            for line in lines]  # fmt: skip
    text.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(text)


def table(rows: Sequence[HomesResult]) -> str:
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
        ingest, latency = row.ingest, row.latency
        lines.append(
            (
                f"{row.homes:,}",
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
    return _aligned(lines)


def flood_table(rows: Sequence[HomesResult]) -> str | None:
    """Alert latency without and with the log-in flood, side by side."""
    header = ("homes", "p50 ms", "p99 ms", "flood p50 ms", "flood p99 ms", "log-ins/s", "alerts")
    lines = [header]
    for row in rows:
        quiet, flooded = row.latency, row.flooded
        if flooded is None:
            continue
        logins = flooded.logins or {}
        lines.append(
            (
                f"{row.homes:,}",
                _ms(quiet.percentile(50)),
                _ms(quiet.percentile(99)),
                _ms(flooded.percentile(50)),
                _ms(flooded.percentile(99)),
                f"{logins.get('logins_per_s', 0):.1f}",
                f"{flooded.alerts}/{flooded.events}",
            )
        )
    return _aligned(lines) if len(lines) > 1 else None


def warnings(row: HomesResult) -> list[str]:
    """What was lost (data) or late (alerts) at one home count."""
    ingest, latency, flooded = row.ingest, row.latency, row.flooded
    out = []
    if ingest.raw_received != ingest.messages:
        out.append(
            f"LOST at {row.homes:,} homes: the broker delivered {ingest.raw_received} of "
            f"{ingest.messages} queued messages (its max_queued_messages?)"
        )
    if ingest.stored_readings != ingest.readings:
        out.append(
            f"LOST at {row.homes:,} homes: the hub stored {ingest.stored_readings} of "
            f"{ingest.readings} readings"
        )
    if flooded is not None and flooded.missing:
        out.append(
            f"LATE at {row.homes:,} homes under the log-in flood: {flooded.missing} "
            f"of {flooded.events} alerts not on the WebSocket within {STALL_S:g} s"
        )
    if latency.missing:
        # Late, not lost: an overloaded hub is still working through its backlog.
        out.append(
            f"LATE at {row.homes:,} homes: {latency.missing} of {latency.events} alerts "
            f"not on the WebSocket within {STALL_S:g} s of the last event"
        )
    return out


def summary(
    report: dict[str, Any],
    rows: Sequence[HomesResult],
    checks: list[dict[str, Any]],
    sizes: Sizes,
    login_clients: int,
) -> str:
    """The text before the JSON: machine, sizes, tables, goals, what was lost or late."""
    facts = report["machine"]
    lines = [
        f"machine: {facts['cpus']} CPUs ({facts['cpus_usable']} usable), {facts['cpu_model']}; "
        f"Python {facts['python']}; SQLite {facts['sqlite']}; broker: "
        f"{report['broker']['url']} {report['broker']['mosquitto'] or ''}".rstrip(),
        f"{sizes.messages:,} telemetry messages x {READINGS_PER_MESSAGE} readings per backlog; "
        f"{sizes.events} events per latency phase; {report['elapsed_s']} s in all",
        "",
        table(rows),
    ]
    flooded = flood_table(rows)
    if flooded is not None:
        lines += ["", f"alert latency with {login_clients} clients logging in non-stop:", flooded]
    lines += influx_lines(rows)
    lines += postgresql_lines(rows)
    lines += workers_lines(rows)
    lines.append("")
    for check in checks:
        verdict = {True: "PASS", False: "MISS", None: "----"}[check["pass"]]
        lines.append(f"{verdict}  {check['goal']}: {check['measured']}")
    for row in rows:
        lines += warnings(row)
    return "\n".join(lines)


def postgresql_lines(rows: Sequence[HomesResult]) -> list[str]:
    """The hub on PostgreSQL against the raw subscriber of its own phase and the hub on SQLite."""
    lines = []
    for row in rows:
        on_pg = row.postgresql
        if on_pg is None:
            continue
        lines.append(
            f"on PostgreSQL at {row.homes:,} homes: hub {on_pg.hub_readings_s:,.0f} readings/s "
            f"({on_pg.ratio:.1%} of raw in that phase, {on_pg.raw_readings_s:,.0f}; on SQLite "
            f"{row.ingest.hub_readings_s:,.0f}, {row.ingest.ratio:.1%}); "
            f"{on_pg.stored_readings:,} of {on_pg.readings:,} stored"
        )
    return ["", *lines] if lines else []


def influx_lines(rows: Sequence[HomesResult]) -> list[str]:
    """The hub with the InfluxDB sink against the same hub without it and the raw rate."""
    lines = []
    for row in rows:
        influx = row.influx
        if influx is None:
            continue
        without, raw = row.ingest.hub_readings_s, row.ingest.raw_readings_s
        lines.append(
            f"with InfluxDB at {row.homes:,} homes: hub {influx.hub_readings_s:,.0f} readings/s "
            f"({influx.hub_readings_s / without:.0%} of the hub without it, "
            f"{influx.hub_readings_s / raw:.1%} of raw); all in InfluxDB after "
            f"{influx.sink_s:.1f} s ({influx.sink_readings_s:,.0f} readings/s), "
            f"{influx.dropped} dropped, {influx.refused} refused"
        )
    return ["", *lines] if lines else []
