"""`eldercare eval scenarios --institution`: the institutional detectors over a simulated
care-home floor with ground truth (simulators/institution.py).

For each scripted incident: was the expected alert raised, and how long after the
incident began. Every other alert raised is a false alarm, except its consequences (other
alerts of that bed within the incident and the hour after it, as in eval_scenarios).

A bed_exit or not_back_in_bed alert is true when it belongs to a scripted exit longer than
the limit (raised while she was out, or as she lay down: the sensor says "in bed" up to a
minute late), or when she was out of bed as it was raised. Otherwise it is *late* (an exit
shorter than the limit, raised as she lay down, before the sensor said so) or false (she
was in bed). False bed exit alerts, late ones included, are counted per resident-month of
the residents watched for bed exits (fall risk at_risk or high).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from analytics import Event, HomeMonitor
from contracts.home import HomeConfig

from .eval_scenarios import AFTERMATH, LEAD, OPEN_ENDED, Outcome, _by_kind, scenario_table

# The bed sensor says "in bed" up to a minute after she lies down (simulators/floor_sensors.py).
IN_BED_DELAY_S = 60.0
# A bed exit or not-back-in-bed alert belongs to an exit until shortly after it ended.
# It says "out of bed" a few seconds before she is up (her weight leaves it as she sits up).
SENSOR_LEAD_S = 10.0
EXIT_AFTER = timedelta(minutes=2)
EXIT_KINDS = ("bed_exit_at_risk", "bed_exit_high", "long_out_of_bed")
# Alerts about an exit from bed, judged on what she was doing when they were raised.
EXIT_ALERTS = ("bed_exit", "not_back_in_bed")


@dataclass
class _Tally:
    """What the beds of a floor add up to."""

    outcomes: list[Outcome] = field(default_factory=list)
    false_alarms: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)
    exit_alerts: dict[str, Counter[str]] = field(
        default_factory=lambda: {kind: Counter() for kind in EXIT_ALERTS}
    )
    readings: int = 0


def evaluate_institution(
    beds: int, days: float, seed: int, start: date, incidents: str = "default"
) -> dict[str, Any]:
    from simulators.floor import make_floor_configs
    from simulators.institution import simulate_floor

    configs = make_floor_configs(beds, seed)
    midnight = datetime.combine(start, clock_time(0), tzinfo=configs[0].tz)
    tally = _Tally()
    scripted = incidents == "default"
    for config, simulation in simulate_floor(
        configs, start=midnight, days=days, seed=seed, scripted=scripted
    ):
        _judge_bed(config, simulation, tally)
    watched = sum(c.resident.fall_risk != "none" for c in configs)
    watched_months = max(watched, 1) * days / 30
    false_total = sum(tally.false_alarms.values())
    outcomes = tally.outcomes
    return {
        "beds": beds,
        "days": days,
        "seed": seed,
        "readings": tally.readings,
        "residents": {
            "fall_risk": dict(Counter(c.resident.fall_risk for c in configs)),
            "wanders": sum(c.resident.wanders for c in configs),
        },
        "incidents": _by_kind(outcomes),
        "detected": sum(o.detected_at is not None for o in outcomes),
        "scripted": len(outcomes),
        "missed": [
            {"home": o.home, "incident": o.incident, "start": o.start.isoformat()}
            for o in outcomes
            if o.detected_at is None
        ],
        "exit_alerts": {kind: dict(verdicts) for kind, verdicts in tally.exit_alerts.items()},
        "false_bed_exit_per_resident_month": round(
            (tally.false_alarms["bed_exit"] + tally.exit_alerts["bed_exit"]["late"])
            / watched_months,
            3,
        ),
        "late_bed_exit_per_resident_month": round(
            tally.exit_alerts["bed_exit"]["late"] / watched_months, 3
        ),
        "false_alarms": dict(sorted(tally.false_alarms.items())),
        "false_alarms_total": false_total,
        "false_alarms_per_resident_month": round(false_total / (beds * days / 30), 3),
        "false_alarm_examples": tally.examples,
    }


def _judge_bed(config: HomeConfig, simulation: Any, tally: _Tally) -> None:
    """Run one bed's detectors over its readings; add its outcomes and false alarms."""
    monitor = HomeMonitor(config)
    raised: list[Event] = []
    for reading in simulation.readings():
        tally.readings += 1
        raised.extend(e for e in monitor.feed(reading) if e.state == "raised")
    matched: set[int] = set()
    for truth in simulation.truth:
        exit_like = truth.kind in EXIT_KINDS
        end = (truth.end or truth.start + OPEN_ENDED) + (EXIT_AFTER if exit_like else AFTERMATH)
        hits = [
            i
            for i, e in enumerate(raised)
            if e.kind == truth.expected_alert and truth.start - LEAD <= _at(e) <= end
        ]
        matched.update(hits)
        detected = min((_at(raised[i]) for i in hits), default=None)
        outcome = Outcome(config.home, truth.kind, truth.expected_alert, truth.start, detected)
        tally.outcomes.append(outcome)
        if not exit_like:  # its consequences
            matched.update(i for i, e in enumerate(raised) if truth.start - LEAD <= _at(e) <= end)
    exits = [(e.start, e.end) for e in simulation.plan.exits]
    for i, event in enumerate(raised):
        if event.kind in EXIT_ALERTS:
            verdict = "true" if i in matched else _exit_verdict(event.ts, exits)
            tally.exit_alerts[event.kind][verdict] += 1
            if verdict != "false":
                continue
        elif i in matched:
            continue
        tally.false_alarms[event.kind] += 1
        if len(tally.examples) < 20:
            tally.examples.append(event.to_dict(config.tz))


def _exit_verdict(ts: float, exits: list[tuple[float, float]]) -> str:
    """'true' while she is out of bed, 'late' just after she lay down, else 'false'."""
    if any(a - SENSOR_LEAD_S <= ts <= b for a, b in exits):
        return "true"
    if any(b < ts <= b + IN_BED_DELAY_S for _, b in exits):
        return "late"
    return "false"


def _at(event: Event) -> datetime:
    return datetime.fromtimestamp(event.ts).astimezone()


def institution_table(result: dict[str, Any]) -> str:
    return scenario_table(
        result,
        [
            f"exit alerts: {result['exit_alerts']}; bed_exit false "
            f"{result['false_bed_exit_per_resident_month']} per resident-month at risk (of "
            f"which late, as she lay down: {result['late_bed_exit_per_resident_month']})"
        ],
    )
