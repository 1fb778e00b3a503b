"""The figures the simulator's messy life is calibrated on, measured on recordings of real
homes (``../shared/data/realhomes``): ``python -m eldercare.life_figures DIR [DIR ...]``.

Each DIR holds ``readings.jsonl``, ``home.yaml`` and ``activities.csv`` (the realhomes
layout). Printed per home, as JSON: sleep (from the activity labels), outings (labels),
absences (silences of the whole home), armchair sittings and daytime bed use (the mats),
and per sensor kind how its levels behave (pulses, levels stuck on, sensors gone quiet).
simulators/life.py carries the numbers, with a comment saying which figure each is.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import math
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts.errors import ContractError
from contracts.home import DeviceConfig, HomeConfig
from contracts.reading import Reading, read_jsonl

SLEEP_LABELS = frozenset({"Sleeping", "go-to-bed"})
OUT_LABELS = frozenset({"Leaving", "leave-house"})
HOUR = 3600.0
DAY = 86400.0
PULSE_S = 3.0  # an "on" level this short is a pulse (someone moving on a mat, past a PIR)
NAP_S = 15 * 60.0
SILENT_S = 48 * HOUR  # a sensor quiet this long while the home is lived in is gone
LIVED_IN_PER_DAY = 20  # readings a day from the other sensors: someone is at home
# A level held longer than this is stuck (the detectors' defaults, analytics' SensorSettings).
STUCK_AFTER_S = {"motion": 2 * HOUR, "bed": 16 * HOUR, "presence": 12 * HOUR, "appliance": 3 * HOUR}


@dataclass(frozen=True)
class Level:
    device: str
    start: float
    end: float

    @property
    def held(self) -> float:
        return self.end - self.start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eldercare.life_figures", description=__doc__)
    parser.add_argument("homes", nargs="+", type=Path, help="a real home's folder")
    args = parser.parse_args(argv)
    figures = {}
    for folder in args.homes:
        try:
            figures[folder.name] = home_figures(folder)
        except (OSError, ValueError, ContractError) as exc:
            print(f"life_figures: {folder}: {exc}", file=sys.stderr)
            return 2
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def home_figures(folder: Path) -> dict[str, Any]:
    home = HomeConfig.load(folder / "home.yaml")
    readings = list(read_jsonl(folder / "readings.jsonl"))
    labels = _labels(folder / "activities.csv")
    levels = _levels(readings)
    first, last = readings[0].epoch, readings[-1].epoch
    return {
        "days": round((last - first) / DAY, 2),
        "sleep": _sleep(labels),
        "outings": _outings(labels),
        "home_silences_h": _silences(readings),
        "armchair_min": _sittings(home, levels),
        "daytime_bed_uses": _daytime_bed(home, levels, labels),
        "sensors": _sensors(home, readings, levels, last),
    }


def _labels(path: Path) -> list[tuple[datetime, datetime, str]]:
    with path.open(encoding="utf-8") as file:
        rows = [
            (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]), r["activity"])
            for r in csv.DictReader(file)
        ]
    return [row for row in rows if row[1] > row[0]]  # the source's typing errors left out


def _levels(readings: Sequence[Reading]) -> list[Level]:
    """ "On" levels of binary sensors: from an on reading to the next off of that device."""
    opened: dict[str, list[float]] = {}
    levels = []
    for r in readings:
        if r.metric not in ("contact", "motion", "presence", "in_use"):
            continue
        if r.value is True or r.value == "open":
            opened.setdefault(r.device, []).append(r.epoch)
        elif opened.get(r.device):
            levels.append(Level(r.device, opened[r.device].pop(0), r.epoch))
    return levels


def _clock(hours: list[float]) -> dict[str, Any]:
    return {"mean_h": round(statistics.mean(hours), 2), "sd_min": round(_sd(hours) * 60)}


def _sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _hour(moment: datetime, night: bool = False) -> float:
    hour = moment.hour + moment.minute / 60 + moment.second / 3600
    return hour + 24 if night and hour < 12 else hour


def _sleep(labels: list[tuple[datetime, datetime, str]]) -> dict[str, Any]:
    nights = [(s, e) for s, e, a in labels if a in SLEEP_LABELS]
    if not nights:
        return {}
    hours = [(e - s).total_seconds() / HOUR for s, e in nights]
    return {
        "nights": len(nights),
        "asleep": _clock([_hour(s, night=True) for s, _ in nights]),
        "up": _clock([_hour(e) for _, e in nights]),
        "hours_mean": round(statistics.mean(hours), 1),
    }


def _outings(labels: list[tuple[datetime, datetime, str]]) -> dict[str, Any]:
    outings = [(s, e) for s, e, a in labels if a in OUT_LABELS]
    if not outings:
        return {}
    days = (max(e for _, e, _ in labels) - min(s for s, _, _ in labels)).total_seconds() / DAY
    hours = [(e - s).total_seconds() / HOUR for s, e in outings]
    logs = [math.log(h) for h in hours]
    slots = Counter(_slot(_hour(s)) for s, _ in outings)
    return {
        "per_day": round(len(outings) / days, 2),
        "median_h": round(statistics.median(hours), 2),
        "log_sd": round(_sd(logs), 2),
        "longest_h": round(max(hours), 1),
        "began": dict(sorted(slots.items())),
        "back_after_22h": sum(1 for s, e in outings if e.date() > s.date() or _hour(e) >= 22),
    }


def _slot(hour: float) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    return "evening" if hour >= 17 else "night"


def _silences(readings: Sequence[Reading]) -> list[float]:
    """Every stretch of 24 h or more with no reading from any sensor: the home empty."""
    times = [r.epoch for r in readings]
    return [round((b - a) / HOUR, 1) for a, b in itertools.pairwise(times) if b - a >= DAY]


def _sittings(home: HomeConfig, levels: list[Level]) -> dict[str, Any]:
    chairs = {d.id for d in home.devices if d.role == "chair"}
    minutes = [lv.held / 60 for lv in levels if lv.device in chairs and lv.held >= 300]
    if not minutes:
        return {}
    return {
        "sittings": len(minutes),
        "median": round(statistics.median(minutes)),
        "log_sd": round(_sd([math.log(m) for m in minutes]), 2),
        "longest": round(max(minutes)),
    }


def _daytime_bed(home: HomeConfig, levels: list[Level], labels: list[Any]) -> int:
    """Bed use of 15 minutes or more begun between 12:00 and 19:00 on labelled days: naps."""
    beds = {d.id for d in home.devices if d.role == "bed"}
    first, last = min(s for s, _, _ in labels).timestamp(), max(e for _, e, _ in labels).timestamp()
    tz = home.tz
    return sum(
        1
        for lv in levels
        if lv.device in beds
        and lv.held >= NAP_S
        and first <= lv.start <= last
        and 12 <= datetime.fromtimestamp(lv.start, tz).hour < 19
    )


def _sensors(
    home: HomeConfig, readings: Sequence[Reading], levels: list[Level], end: float
) -> dict[str, Any]:
    by_device: dict[str, list[Level]] = {}
    for level in levels:
        by_device.setdefault(level.device, []).append(level)
    seen: dict[str, list[float]] = {}
    for r in readings:
        seen.setdefault(r.device, []).append(r.epoch)
    everything = sorted(r.epoch for r in readings)
    figures: dict[str, Any] = {}
    stuck: list[float] = []
    silent: list[float] = []
    stuck_days = 0.0
    for device in home.devices:
        held = by_device.get(device.id, [])
        limit = STUCK_AFTER_S.get(_stuck_kind(device) or "")
        times = seen.get(device.id, [])
        quiet = _silent_spans(times, end, everything)
        figures[device.id] = {
            "kind": device.kind,
            "role": device.role,
            "levels": len(held),
            "pulses": round(sum(lv.held <= PULSE_S for lv in held) / len(held), 2)
            if held
            else None,
            "stuck_h": sorted(round(lv.held / HOUR, 1) for lv in held if limit and lv.held > limit),
            "silent_h": [round(h / HOUR, 1) for h in quiet],
        }
        if limit is not None:
            stuck += [lv.held for lv in held if lv.held > limit]
            stuck_days += (end - everything[0]) / DAY
        silent += quiet
    sensor_days = len(home.devices) * (end - everything[0]) / DAY
    return {
        "stuck": _episodes(stuck, stuck_days),
        "silent": _episodes(silent, sensor_days),
        "by_device": figures,
    }


def _silent_spans(times: list[float], end: float, everything: list[float]) -> list[float]:
    """A sensor's silences of SILENT_S or more while the rest of the home kept reporting."""
    spans = []
    for a, b in zip(times, [*times[1:], end], strict=True):
        if b - a < SILENT_S:
            continue
        others = bisect.bisect_left(everything, b) - bisect.bisect_right(everything, a)
        if others >= LIVED_IN_PER_DAY * (b - a) / DAY:
            spans.append(b - a)
    return spans


def _episodes(lengths: list[float], sensor_days: float) -> dict[str, Any]:
    if not lengths:
        return {"count": 0, "sensor_days": round(sensor_days)}
    hours = [x / HOUR for x in lengths]
    return {
        "count": len(hours),
        "sensor_days": round(sensor_days),
        "per_sensor_day": round(len(hours) / sensor_days, 3),
        "median_h": round(statistics.median(hours), 1),
        "log_sd": round(_sd([math.log(h) for h in hours]), 2),
        "range_h": [round(min(hours), 1), round(max(hours), 1)],
    }


def _stuck_kind(device: DeviceConfig) -> str | None:
    if device.kind == "presence":
        return "bed" if device.role == "bed" else "presence"
    if device.kind == "appliance" or (device.kind == "motion"):
        return device.kind
    return None


if __name__ == "__main__":
    sys.exit(main())
