"""`eldercare eval scenarios`: every detector over simulated homes with ground truth.

Each simulated home lives ``--days`` days of ordinary life with scripted incidents. For
every incident we ask: was the expected alert raised, and how long after the incident
began? Every alert raised outside an incident (and the hour after it) is a false alarm:
that is what a dispatcher would call it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from statistics import median
from typing import Any

from analytics import Event, HomeMonitor
from contracts import HomeConfig

# An alert this long after an incident ended still belongs to it (a resident found on
# the floor an hour later has no activity until then; that alarm is no false alarm), but
# it does not detect it: help had come, or she was back, before it was raised.
AFTERMATH = timedelta(hours=1)
# How long after its start an incident with no end (an SOS press) may still be detected;
# only its first AFTERMATH excuses other alerts.
OPEN_ENDED = timedelta(hours=12)
# Alerts about one device: only the incident's own device detects it (another device
# offline during a door sensor's outage is news of its own, not this one).
DEVICE_ALERTS = frozenset({"device_offline", "battery_low", "sensor_stuck", "sos"})
# Alerts may legitimately precede the scripted start a little (a bathroom radar sees the
# fall before the bracelet's batch arrives).
LEAD = timedelta(minutes=5)
# How roughly a family announces a stay away: an hour before she leaves, an hour after she
# is back.
ANNOUNCED_SLACK_S = 3600.0


@dataclass(frozen=True)
class Outcome:
    home: str
    incident: str
    expected: str
    start: datetime
    detected_at: datetime | None

    @property
    def delay_s(self) -> float | None:
        if self.detected_at is None:
            return None
        return max(0.0, (self.detected_at - self.start).total_seconds())


def evaluate_scenarios(
    homes: int,
    days: float,
    seed: int,
    start: date,
    incidents: str = "default",
    life: str = "messy",
    announced_trips: float = 0.0,
) -> dict[str, Any]:
    """``announced_trips``: the share of her days away that her family announces
    (外出登记), about an hour either side of when she leaves and is back."""
    from simulators import LIFE_FAULT_KINDS, make_home_configs, simulate_home

    messy = life == "messy"

    outcomes: list[Outcome] = []
    false_alarms: Counter[str] = Counter()
    false_examples: list[dict[str, Any]] = []
    readings = 0
    for home in make_home_configs(homes, seed, messy=messy):
        midnight = datetime.combine(start, clock_time(0), tzinfo=home.tz)
        plan = None if incidents == "default" else []
        simulation = simulate_home(
            home, start=midnight, days=days, seed=seed, incidents=plan, messy=messy
        )
        monitor = HomeMonitor(announced(home, simulation.trips, announced_trips, seed))
        raised: list[Event] = []
        for reading in simulation.readings():
            readings += 1
            raised.extend(e for e in monitor.feed(reading) if e.state == "raised")
        matched: set[int] = set()
        for truth in simulation.truth:
            detect_until = truth.end or truth.start + OPEN_ENDED
            excuse_until = (truth.end or truth.start) + AFTERMATH
            # A sensor failing in ordinary life accounts only for alerts about that sensor.
            faulty = truth.device if truth.kind in LIFE_FAULT_KINDS else None
            own = truth.device if truth.expected_alert in DEVICE_ALERTS else None
            hits = [
                i
                for i, event in enumerate(raised)
                if event.kind == truth.expected_alert
                and truth.start - LEAD <= _at(event) <= detect_until
                and faulty in (None, event.device)
                and own in (None, event.device)
            ]
            matched.update(hits)
            detected = min((_at(raised[i]) for i in hits), default=None)
            outcomes.append(
                Outcome(home.home, truth.kind, truth.expected_alert, truth.start, detected)
            )
            # Other alerts during an incident are its consequences, not false alarms; the
            # same alert about another device is not.
            for i, event in enumerate(raised):
                concerns = faulty in (None, event.device) and (
                    event.kind != truth.expected_alert or own in (None, event.device)
                )
                if concerns and truth.start - LEAD <= _at(event) <= excuse_until:
                    matched.add(i)
        for i, event in enumerate(raised):
            if i not in matched:
                false_alarms[event.kind] += 1
                if len(false_examples) < 20:
                    false_examples.append(event.to_dict(home.tz))
    resident_months = homes * days / 30
    return {
        "homes": homes,
        "days": days,
        "seed": seed,
        "announced_trips": announced_trips,
        "readings": readings,
        "incidents": _by_kind(outcomes),
        "detected": sum(o.detected_at is not None for o in outcomes),
        "scripted": len(outcomes),
        "missed": [
            {"home": o.home, "incident": o.incident, "start": o.start.isoformat()}
            for o in outcomes
            if o.detected_at is None
        ],
        "false_alarms": dict(sorted(false_alarms.items())),
        "false_alarms_total": sum(false_alarms.values()),
        "false_alarms_per_resident_month": round(sum(false_alarms.values()) / resident_months, 3),
        "false_alarm_examples": false_examples,
    }


def announced(
    home: HomeConfig, trips: Sequence[tuple[float, float]], share: float, seed: int
) -> HomeConfig:
    """``home`` with ``share`` of its ``trips`` (left, back) announced, as a family would:
    from an hour before she leaves until an hour after she is back."""
    if share <= 0 or not trips:
        return home
    rng = random.Random(f"{seed}:{home.home}:announced")
    periods = [
        {
            "start": datetime.fromtimestamp(left - ANNOUNCED_SLACK_S, home.tz).isoformat(),
            "end": datetime.fromtimestamp(back + ANNOUNCED_SLACK_S, home.tz).isoformat(),
            "note": "days away (simulated)",
        }
        for left, back in trips
        if rng.random() < share
    ]
    return HomeConfig.model_validate({**home.model_dump(mode="json"), "away": periods[-20:]})


def _at(event: Event) -> datetime:
    return datetime.fromtimestamp(event.ts).astimezone()


def _by_kind(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        grouped[outcome.incident].append(outcome)
    table = {}
    for kind, group in sorted(grouped.items()):
        delays = [o.delay_s for o in group if o.delay_s is not None]
        table[kind] = {
            "expected_alert": group[0].expected,
            "scripted": len(group),
            "detected": len(delays),
            "detection_rate": round(len(delays) / len(group), 3),
            "median_delay_s": round(median(delays), 1) if delays else None,
            "max_delay_s": round(max(delays), 1) if delays else None,
        }
    return table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run every detector over simulated homes with scripted incidents (falls, SOS, abnormal "
        "vitals, wandering, collapses, failing sensors) and print, per incident kind, how many "
        "were detected and how fast, and the false alarms per resident-month."
    )
    parser.add_argument("--homes", type=int, default=10, help="simulated homes (default 10)")
    parser.add_argument("--days", type=float, default=30, help="days per home (default 30)")
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed of homes, lives, incidents (default 1)"
    )
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2026, 11, 1),
        metavar="YYYY-MM-DD",
        help="the first simulated day (default 2026-11-01)",
    )
    parser.add_argument(
        "--incidents",
        choices=("default", "none"),
        default="default",
        help="scripted incidents, or ordinary life only (every alert but a failing sensor's "
        "is then false)",
    )
    parser.add_argument(
        "--life",
        choices=("messy", "tidy"),
        default="messy",
        help="residents and sensors calibrated on real homes (default), or the tidy ones of "
        "the demo",
    )
    parser.add_argument(
        "--announced-trips",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="the share (0-1) of the residents' days away their families announce "
        "(外出登记), an hour either side (default 0: none)",
    )
    parser.add_argument(
        "--institution",
        action="store_true",
        help="a care-home floor instead of homes: bed exits, not back in bed, wandering "
        "through the unit door, falls in the room, calls, bed sensors dropping out",
    )
    parser.add_argument(
        "--beds", type=int, default=20, help="beds of the floor, with --institution (default 20)"
    )


def run(args: argparse.Namespace) -> int:
    if args.homes < 1 or args.days <= 0:
        print("eldercare eval scenarios: --homes and --days must be positive", file=sys.stderr)
        return 2
    began = time.perf_counter()
    if args.institution:
        from .eval_institution import evaluate_institution, institution_table

        if args.beds < 1:
            print("eldercare eval scenarios: --beds must be positive", file=sys.stderr)
            return 2
        result = evaluate_institution(args.beds, args.days, args.seed, args.start, args.incidents)
        table = institution_table(result)
    else:
        if not 0 <= args.announced_trips <= 1:
            print("eldercare eval scenarios: --announced-trips is a share, 0-1", file=sys.stderr)
            return 2
        result = evaluate_scenarios(
            args.homes, args.days, args.seed, args.start, args.incidents, args.life,
            announced_trips=args.announced_trips,
        )  # fmt: skip
        table = scenario_table(result)
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    print(table, file=sys.stderr)
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def scenario_table(result: dict[str, Any], notes: Sequence[str] = ()) -> str:
    """Detection and delay per incident kind, then ``notes``, then the false alarms."""
    lines = [f"{'incident':<20} {'alert':<20} {'detected':>9} {'median delay':>13}"]
    for kind, row in result["incidents"].items():
        delay = row["median_delay_s"]
        shown = "-" if delay is None else f"{delay / 60:.1f} min"
        lines.append(
            f"{kind:<20} {row['expected_alert']:<20} "
            f"{row['detected']:>4}/{row['scripted']:<4} {shown:>13}"
        )
    lines += notes
    lines.append(
        f"false alarms: {result['false_alarms_total']} "
        f"({result['false_alarms_per_resident_month']} per resident-month) "
        f"{result['false_alarms']}"
    )
    return "\n".join(lines)
