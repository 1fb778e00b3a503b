"""`eldercare eval homes DIR...`: the activity detectors on recordings of real homes.

Each DIR holds ``readings.jsonl`` (canonical readings), ``home.yaml`` (the home config) and
optionally ``activities.csv`` (``start,end,activity``: what the resident was doing). The
recordings are of ordinary life, so two questions are asked of each home:

- **False alarms.** Every distress alert raised on the recording is a false alarm (nobody
  fell or fell ill in it). Counted per kind and per resident-month; device housekeeping
  (a sensor offline, stuck or flapping, a battery) is reported apart.
- **Injected collapses.** At a moment inside a labelled in-home activity by day (not while
  out, not asleep, outside the config's night; ``--at-night``: within it, up for the toilet
  or a drink), the recording is cut: from then on
  nothing comes from any sensor, as if she collapsed there. Was a distress alert raised
  within ``--horizon-h`` hours, and how long after the moment? Without activities.csv the
  moments are just after daytime readings of indoor sensors (she was home then).

``--without motion,presence`` (device kinds or ids) evaluates the same recordings as a home
without those sensors would see them: how the detectors fare in sparser homes.
``--thresholds '{"no_activity": {"quantile": 0.8}}'`` sets detector settings in every
home's config (over what its home.yaml says): how a limit trades false alarms for delay.
``--front-door-from leave-house`` gives a home without a front-door sensor one made from
its labels (opened and shut as each such activity begins and ends, where the home's own
sensors say she left and came back), over the labelled span only: the same life as a home
with a front door would see it (``leave-house`` finds 'leave house' too, and a dataset's
other word for an outing, 'Leaving', where no label is so named). ``--signs-while-out``
plays, into each collapse's silence, what the home's sensors recorded while she was
labelled out (:mod:`eldercare.signs_while_out`):
a collapse in a home whose sensors are not silent when nobody moves.

Each home gets its own random moments, drawn with ``--seed`` and the home's id, so a run is
repeatable. The detectors see each recording once, from its first reading on, learning
as they go: a collapse in the first days meets a detector still learning the home.
"""

from __future__ import annotations

import argparse
import bisect
import copy
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from statistics import median
from typing import Any

from analytics import AnalyticsError, Event, HomeMonitor
from contracts.errors import ContractError, ReadingError
from contracts.home import HomeConfig
from contracts.reading import Reading, read_jsonl

from .signs_while_out import SignsWhileOut

# Alerts about a device rather than the resident: reported, but not false alarms.
DEVICE_KINDS = frozenset(
    {"device_offline", "battery_low", "sensor_stuck", "sensor_flapping", "home_offline"}
)
# Words in an activity label that mean the resident was not at home, or asleep: no
# collapse is injected there. Generic on purpose: these are the words datasets use.
OUT_WORDS = ("leav", "outside", "away", "out of home", "go out", "went out")
SLEEP_WORDS = ("sleep", "bed", "nap")


def spelled_alike(name: str) -> str:
    """A label's name as compared: datasets spell one activity 'leave-house', 'leave
    house' or 'Leave_House', and a word list spells it once."""
    return re.sub(r"[\s_-]+", " ", name).strip().casefold()


def is_outing(name: str) -> bool:
    return any(word in spelled_alike(name) for word in OUT_WORDS)


def is_asleep(name: str) -> bool:
    return any(word in spelled_alike(name) for word in SLEEP_WORDS)


INDOOR_KINDS = ("door", "motion", "presence", "appliance", "fall_radar")
STEP_S = 600.0  # the silent hours are played in steps of this (timers fire on the way)
HOUR = 3600.0
DAY = 86400.0


class EvaluationError(Exception):
    """A recorded home cannot be evaluated; ``folder`` and ``reason`` say why."""

    def __init__(self, folder: str | Path, reason: str):
        self.folder = str(folder)
        self.reason = reason
        super().__init__(f"{self.folder}: {reason}")


class NoHomeEvaluated(EvaluationError):
    """Not one of the homes asked for could be evaluated; ``errors`` says why, each."""

    def __init__(self, errors: Sequence[Mapping[str, str]]):
        super().__init__(errors[0]["folder"], errors[0]["reason"])
        self.errors = list(errors)


@dataclass(frozen=True)
class Activity:
    start: float
    end: float
    name: str


@dataclass(frozen=True)
class RecordedHome:
    folder: str
    config: HomeConfig
    readings: tuple[Reading, ...]
    activities: tuple[Activity, ...]
    skipped_lines: int
    # What was left out on loading that the figures do not show, said on stderr (not in
    # the JSON, so that it stays comparable with runs from before these were said).
    notes: tuple[str, ...] = ()

    @property
    def home(self) -> str:
        return self.config.home

    @property
    def span_days(self) -> float:
        if not self.readings:
            return 0.0
        return (self.readings[-1].epoch - self.readings[0].epoch) / DAY


@dataclass(frozen=True)
class Injection:
    moment: float
    activity: str
    detected_at: float | None
    alert: str | None

    @property
    def delay_s(self) -> float | None:
        return None if self.detected_at is None else self.detected_at - self.moment


# ----------------------------------------------------------------------------- loading


def load_home(
    folder: str | Path,
    without: Collection[str] = (),
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    front_door_from: str | None = None,
) -> RecordedHome:
    """A recorded home; ``without``: device kinds or ids to leave out, config and readings;
    ``thresholds``: detector settings set over the config's; ``front_door_from``: the
    labelled activity a front-door sensor is made from (``with_labelled_front_door``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvaluationError(folder, "not a folder")
    try:
        config = HomeConfig.load(folder / "home.yaml")
    except ContractError as exc:
        raise EvaluationError(folder, str(exc)) from exc
    configured = {d.id for d in config.devices}  # before --without leaves any out
    if without:
        kept = tuple(d for d in config.devices if d.id not in without and d.kind not in without)
        config = config.model_copy(update={"devices": kept})
    if thresholds:
        merged = {name: dict(values) for name, values in config.thresholds.items()}
        for name, values in thresholds.items():
            merged[name] = {**merged.get(name, {}), **values}
        config = config.model_copy(update={"thresholds": merged})
    devices = {d.id for d in config.devices}
    skipped: list[ReadingError] = []
    try:
        recorded = list(read_jsonl(folder / "readings.jsonl", on_error=skipped.append))
    except OSError as exc:
        raise EvaluationError(folder, f"cannot read readings.jsonl: {exc.strerror}") from exc
    readings = [r for r in recorded if r.home == config.home and r.device in devices]
    if not readings:
        raise EvaluationError(folder, f"no readings of home {config.home!r}")
    readings.sort(key=lambda r: r.epoch)
    activities, backwards = _activities(folder, config.tz)
    notes = _unconfigured(recorded, config.home, configured)
    if backwards:
        notes.append(f"activities.csv: {backwards} label(s) ending before they start, left out")
    home = RecordedHome(
        str(folder), config, tuple(readings), activities, len(skipped), tuple(notes)
    )
    return home if front_door_from is None else with_labelled_front_door(home, front_door_from)


def _unconfigured(readings: Iterable[Reading], home: str, configured: Collection[str]) -> list[str]:
    """What the readings hold that home.yaml does not know (a device id spelled otherwise
    in the config, another home's id): left out, so a sensor the home has is not heard."""
    devices = Counter(r.device for r in readings if r.home == home and r.device not in configured)
    homes = Counter(r.home for r in readings if r.home != home)
    notes = []
    if devices:
        listed = ", ".join(f"{device} {count}" for device, count in sorted(devices.items()))
        notes.append(f"readings.jsonl: readings of devices not in home.yaml, left out: {listed}")
    if homes:
        listed = ", ".join(f"{other} {count}" for other, count in sorted(homes.items()))
        notes.append(f"readings.jsonl: readings of other homes, left out: {listed}")
    return notes


LABELLED_FRONT_DOOR = "labelled_front_door"


LABEL_SLACK_S = 10 * 60.0


def with_labelled_front_door(home: RecordedHome, activity: str) -> RecordedHome:
    """The home as it would be with a front-door sensor: one that opens and shuts (5 s)
    at the start and at the end of each labelled ``activity`` (leaving the house), over
    the labelled span only (outside it, an outing would be unseen again).

    Labels were written by hand and are minutes off: a sensor of the home that fires in
    the first ``LABEL_SLACK_S`` of an outing says the resident had not left yet, one in
    its last ``LABEL_SLACK_S`` that he was back. A real door sensor would have seen him
    go after the first and come in before the second, so the door does too."""
    if any(d.role == "front_door" for d in home.config.devices):
        raise EvaluationError(home.folder, "it has a front-door sensor already")
    outings, note = _labelled_outings(home, activity)
    outings = merged(outings)  # one outing labelled twice is one door opened once
    first = min(a.start for a in home.activities)
    last = max(a.end for a in home.activities)
    door = {"id": LABELLED_FRONT_DOOR, "kind": "door", "role": "front_door", "source": "native"}
    document = home.config.model_dump(mode="json")
    config = HomeConfig.model_validate({**document, "devices": [*document["devices"], door]})
    times = sorted(r.epoch for r in home.readings)
    uses = [
        Reading(ts=t + offset, home=home.home, device=LABELLED_FRONT_DOOR, metric="contact",
                value=value)
        for a in outings
        for t in _door_times(a, times)
        for offset, value in ((0.0, "open"), (5.0, "closed"))
    ]  # fmt: skip
    kept = [r for r in home.readings if first <= r.epoch <= last]
    readings = tuple(sorted(kept + uses, key=lambda r: r.epoch))
    notes = (*home.notes, note) if note else home.notes
    return RecordedHome(home.folder, config, readings, home.activities, home.skipped_lines, notes)


def _labelled_outings(home: RecordedHome, activity: str) -> tuple[list[Activity], str | None]:
    """The labels named ``activity``, however spelled; where none is but ``activity`` is an
    outing, the home's outings (another dataset's word for it: 'Leaving' where the
    command says 'leave-house'), and a note that says so."""
    named = [a for a in home.activities if spelled_alike(a.name) == spelled_alike(activity)]
    if named:
        return named, None
    outings = [a for a in home.activities if is_outing(a.name)] if is_outing(activity) else []
    if not outings:
        names = ", ".join(sorted({a.name for a in home.activities})) or "none"
        raise EvaluationError(
            home.folder, f"no activity labelled {activity!r} (its labels: {names})"
        )
    names = ", ".join(repr(name) for name in sorted({a.name for a in outings}))
    return outings, f"--front-door-from {activity!r}: no label so named; made from {names}"


def merged(activities: Iterable[Activity]) -> list[Activity]:
    """Overlapping labels as one (the first one's name), in order: an outing labelled
    twice, or in two overlapping pieces, is one outing, its hours and signs counted once."""
    joined: list[Activity] = []
    for activity in sorted(activities, key=lambda a: (a.start, a.end)):
        if joined and activity.start < joined[-1].end:
            last = joined[-1]
            joined[-1] = Activity(last.start, max(last.end, activity.end), last.name)
        else:
            joined.append(activity)
    return joined


def _door_times(outing: Activity, times: Sequence[float]) -> tuple[float, float]:
    """When the door is used to leave and to come back for a labelled outing: after the
    home's last reading early in it, before its first reading late in it (``times``:
    every reading's, sorted)."""
    leave, back = outing.start, outing.end
    slack = min(LABEL_SLACK_S, (back - leave) / 3)
    early = bisect.bisect_right(times, leave + slack)
    if early > 0 and times[early - 1] >= leave:
        leave = times[early - 1] + 1
    late = bisect.bisect_left(times, back - slack)
    if late < len(times) and times[late] <= back:
        back = times[late] - 6
    return (leave, back) if back > leave + 5 else (outing.start, outing.end)


def _activities(folder: Path, tz: tzinfo) -> tuple[tuple[Activity, ...], int]:
    """The labels of ``activities.csv`` and how many of them end before they start (typos:
    unusable, left out). A time without an offset is the home's wall clock (``tz``)."""
    path = folder / "activities.csv"
    if not path.exists():
        return (), 0
    labelled: list[Activity] = []
    backwards = 0
    try:
        # utf-8-sig: a file saved by a spreadsheet begins with a byte-order mark, which
        # would otherwise be part of the first column's name ("\ufeffstart").
        with path.open(newline="", encoding="utf-8-sig") as rows:
            reader = csv.DictReader(rows)
            missing = {"start", "end", "activity"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"no column {', '.join(sorted(missing))} (start,end,activity)")
            for row in reader:
                activity = _label(row, tz, reader.line_num)
                if activity.end > activity.start:
                    labelled.append(activity)
                else:
                    backwards += 1
    except (OSError, ValueError) as exc:
        raise EvaluationError(folder, f"activities.csv: {exc}") from exc
    return tuple(labelled), backwards


def _label(row: Mapping[str, str | None], tz: tzinfo, line: int) -> Activity:
    if any(row.get(column) is None for column in ("start", "end", "activity")):
        raise ValueError(f"line {line}: fewer than three fields")
    times = []
    for column in ("start", "end"):
        try:
            when = datetime.fromisoformat(str(row[column]).strip())
        except ValueError as exc:
            raise ValueError(f"line {line}: {column}: {exc}") from exc
        # Not the clock of the machine running the evaluation: the home's.
        times.append((when if when.tzinfo else when.replace(tzinfo=tz)).timestamp())
    return Activity(times[0], times[1], str(row["activity"]))


# ----------------------------------------------------------------------------- false alarms


def replay_events(home: RecordedHome) -> list[Event]:
    monitor = HomeMonitor(home.config)
    events = monitor.feed_many(home.readings)
    return [e for e in events if e.state == "raised"]


def label_at(home: RecordedHome, ts: float) -> str | None:
    names = [a.name for a in home.activities if a.start <= ts < a.end]
    return ", ".join(names) if names else None


def false_alarms(home: RecordedHome, raised: Sequence[Event]) -> dict[str, Any]:
    distress = [e for e in raised if e.kind not in DEVICE_KINDS]
    device = Counter(e.kind for e in raised if e.kind in DEVICE_KINDS)
    months = home.span_days / 30
    examples = []
    for event in distress:
        shown = event.to_dict(home.config.tz)
        examples.append(
            {
                "ts": shown["ts"],
                "kind": event.kind,
                "summary": event.evidence.get("summary"),
                "doing": label_at(home, event.ts),
            }
        )
    return {
        "false_alarms": dict(sorted(Counter(e.kind for e in distress).items())),
        "false_alarms_total": len(distress),
        "false_alarms_per_resident_month": round(len(distress) / months, 2) if months else None,
        "device_events": dict(sorted(device.items())),
        "examples": examples,
    }


# ----------------------------------------------------------------------------- injections


def _is_in_home_and_up(
    home: RecordedHome, activity: Activity, moment: float, at_night: bool
) -> bool:
    if is_outing(activity.name) or is_asleep(activity.name):
        return False
    # Labels written by hand overlap: the television left on in a label that runs into
    # her going out. Labelled out is out, whatever else is labelled then.
    if any(is_outing(a.name) and a.start <= moment < a.end for a in home.activities):
        return False
    return _in_night(home, moment) == at_night


def _in_night(home: RecordedHome, moment: float) -> bool:
    return home.config.night.contains(datetime.fromtimestamp(moment, home.config.tz).time())


def injection_moments(
    home: RecordedHome, count: int, seed: int, at_night: bool = False
) -> list[tuple[float, str]]:
    """``count`` moments at which the resident was at home and up, at random: by day, or
    within the config's night (up for the toilet, a drink) with ``at_night``."""
    rng = random.Random(f"{seed}/{home.home}")
    first, last = home.readings[0].epoch, home.readings[-1].epoch
    chosen: list[tuple[float, str]] = []
    if home.activities:
        eligible = [a for a in home.activities if first <= a.start and a.end <= last]
        for _ in range(count * 50):
            if len(chosen) == count or not eligible:
                break
            activity = rng.choice(eligible)
            moment = rng.uniform(activity.start, activity.end)
            if _is_in_home_and_up(home, activity, moment, at_night):
                chosen.append((moment, activity.name))
        return sorted(chosen)
    indoor = {
        d.id for d in home.config.devices if d.kind in INDOOR_KINDS and d.role != "front_door"
    }
    candidates = [
        r.epoch
        for r in home.readings
        if r.device in indoor and _in_night(home, r.epoch) == at_night
    ]
    for ts in rng.sample(candidates, min(count, len(candidates))):
        chosen.append((ts + 1.0, "(after a reading of an indoor sensor)"))
    return sorted(chosen)


def inject(
    home: RecordedHome,
    moments: Sequence[tuple[float, str]],
    horizon_s: float,
    signs: SignsWhileOut | None = None,
    seed: int = 1,
) -> list[Injection]:
    """Replay the recording once; at each moment, a copy of the detectors lives on in
    silence for ``horizon_s`` (but for ``signs``, what the home's sensors do with nobody
    moving): the first distress alert raised is the detection."""
    rng = random.Random(f"{seed}/{home.home}/signs")
    monitor = HomeMonitor(home.config)
    outcomes: list[Injection] = []
    readings = iter(home.readings)
    pending = next(readings, None)
    for moment, activity in moments:
        while pending is not None and pending.epoch < moment:
            monitor.feed(pending)
            pending = next(readings, None)
        silent = HomeMonitor(home.config, state=copy.deepcopy(monitor.state_dict()))
        noise = signs.during(moment, horizon_s, rng) if signs is not None else []
        outcomes.append(_in_silence(silent, moment, activity, horizon_s, noise))
    return outcomes


def _in_silence(
    monitor: HomeMonitor,
    moment: float,
    activity: str,
    horizon_s: float,
    noise: Sequence[Reading] = (),
) -> Injection:
    t = moment
    pending = iter(noise)
    sign = next(pending, None)
    while t < moment + horizon_s:
        t = min(t + STEP_S, moment + horizon_s)
        events: list[Event] = []
        while sign is not None and sign.epoch <= t:
            events += monitor.feed(sign)
            events += monitor.advance(sign.epoch)
            sign = next(pending, None)
        events += monitor.advance(t)
        for event in events:
            if event.state == "raised" and event.kind not in DEVICE_KINDS and event.ts >= moment:
                return Injection(moment, activity, event.ts, event.kind)
    return Injection(moment, activity, None, None)


def _injection_summary(outcomes: Sequence[Injection], home: RecordedHome) -> dict[str, Any]:
    delays = [o.delay_s for o in outcomes if o.delay_s is not None]
    tz = home.config.tz
    return {
        "injected": len(outcomes),
        "detected": len(delays),
        "detection_rate": round(len(delays) / len(outcomes), 3) if outcomes else None,
        "median_delay_s": round(median(delays)) if delays else None,
        "max_delay_s": round(max(delays)) if delays else None,
        "by_alert": dict(sorted(Counter(o.alert for o in outcomes if o.alert).items())),
        "outcomes": [
            {
                "moment": datetime.fromtimestamp(o.moment, tz).isoformat(),
                "doing": o.activity,
                "alert": o.alert,
                "delay_min": None if o.delay_s is None else round(o.delay_s / 60),
            }
            for o in outcomes
        ],
    }


# ----------------------------------------------------------------------------- the whole


def evaluate_home(
    home: RecordedHome,
    injections: int,
    seed: int,
    horizon_s: float,
    signs_while_out: bool = False,
    at_night: bool = False,
) -> dict:
    raised = replay_events(home)
    moments = injection_moments(home, injections, seed, at_night)
    signs = _signs_while_out(home) if signs_while_out else None
    return {
        "home": home.home,
        "folder": home.folder,
        "days": round(home.span_days, 2),
        "readings": len(home.readings),
        "skipped_lines": home.skipped_lines,
        **false_alarms(home, raised),
        "collapses": _injection_summary(inject(home, moments, horizon_s, signs, seed), home),
        **({"signs_while_out": _signs_summary(signs)} if signs is not None else {}),
    }


def _signs_while_out(home: RecordedHome) -> SignsWhileOut:
    outings = [(a.start, a.end) for a in merged(a for a in home.activities if is_outing(a.name))]
    # Not the front door: where it is made from the labels (--front-door-from) it opens
    # inside an outing, and it is her going, not the home by itself.
    doors = {d.id for d in home.config.devices if d.role == "front_door"}
    readings = [r for r in home.readings if r.device not in doors]
    return SignsWhileOut.of(readings, outings)


def _signs_summary(signs: SignsWhileOut) -> dict[str, Any]:
    hours = signs.length_s / HOUR
    return {
        "hours_out": round(hours, 1),
        "readings": len(signs.readings),
        "per_hour": round(len(signs.readings) / hours, 2) if hours else None,
        "by_device": dict(Counter(r.device for r in signs.readings).most_common()),
    }


def evaluate_homes(
    folders: Iterable[str | Path],
    injections: int = 40,
    seed: int = 1,
    horizon_h: float = 12,
    without: Collection[str] = (),
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    front_door_from: str | None = None,
    signs_while_out: bool = False,
    at_night: bool = False,
    on_note: Callable[[str, str], None] | None = None,
) -> dict[str, Any]:
    """Every home that can be evaluated; one that cannot (a config that does not load, no
    readings) is listed under ``errors`` with the reason, and the others are still
    evaluated. Raises EvaluationError only when none can be. ``on_note(folder, note)``
    hears what was left out of a home on loading (``RecordedHome.notes``)."""
    results, errors = [], []
    for folder in folders:
        try:
            home = load_home(folder, without, thresholds, front_door_from)
        except EvaluationError as exc:
            errors.append({"folder": exc.folder, "reason": exc.reason})
            continue
        try:
            results.append(
                evaluate_home(home, injections, seed, horizon_h * HOUR, signs_while_out, at_night)
            )
        except AnalyticsError as exc:  # its thresholds in home.yaml, say: not the others'
            errors.append({"folder": home.folder, "reason": str(exc)})
            continue
        for note in home.notes if on_note else ():
            on_note(home.folder, note)
    if not results and errors:
        raise NoHomeEvaluated(errors)
    return {
        "seed": seed,
        "horizon_h": horizon_h,
        "without": sorted(without),
        "thresholds": dict(thresholds or {}),
        "front_door_from": front_door_from,
        "signs_while_out": signs_while_out,
        "at_night": at_night,
        "homes": results,
        "overall": _overall(results),
        "worst_home": _worst(results),
        "errors": errors,
    }


def _overall(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    months = sum(r["days"] for r in results) / 30
    alarms = sum(r["false_alarms_total"] for r in results)
    kinds: Counter[str] = Counter()
    for r in results:
        kinds.update(r["false_alarms"])
    delays = [
        o["delay_min"] * 60
        for r in results
        for o in r["collapses"]["outcomes"]
        if o["delay_min"] is not None
    ]
    injected = sum(r["collapses"]["injected"] for r in results)
    return {
        "resident_months": round(months, 2),
        "false_alarms": dict(sorted(kinds.items())),
        "false_alarms_total": alarms,
        "false_alarms_per_resident_month": round(alarms / months, 2) if months else None,
        "injected": injected,
        "detected": len(delays),
        "detection_rate": round(len(delays) / injected, 3) if injected else None,
        "median_delay_s": round(median(delays)) if delays else None,
        "max_delay_s": round(max(delays)) if delays else None,
    }


def _worst(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if not results:
        return {}
    alarms = max(results, key=lambda r: r["false_alarms_per_resident_month"] or 0)
    rated = [r for r in results if r["collapses"]["detection_rate"] is not None]
    detection = min(rated, key=lambda r: r["collapses"]["detection_rate"], default=None)
    slowest = max(rated, key=lambda r: r["collapses"]["median_delay_s"] or 0, default=None)
    return {
        "false_alarms_per_resident_month": {
            "home": alarms["home"],
            "value": alarms["false_alarms_per_resident_month"],
        },
        "detection_rate": (
            {"home": detection["home"], "value": detection["collapses"]["detection_rate"]}
            if detection
            else None
        ),
        "median_delay_s": (
            {"home": slowest["home"], "value": slowest["collapses"]["median_delay_s"]}
            if slowest
            else None
        ),
    }


# ----------------------------------------------------------------------------- command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the activity detectors over recordings of real homes: every distress alert is "
        "a false alarm (counted per kind and per resident-month), and collapses injected into "
        "the recordings (everything silent from a moment of a labelled activity on) say how "
        "often and how fast one is found."
    )
    parser.add_argument(
        "folders", nargs="+", metavar="DIR", help="readings.jsonl + home.yaml [+ activities.csv]"
    )
    parser.add_argument(
        "--injections", type=int, default=40, help="collapses injected per home (default 40)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed of the injected collapses (default 1)"
    )
    parser.add_argument(
        "--horizon-h", type=float, default=12, help="hours of silence after a collapse (12)"
    )
    parser.add_argument(
        "--without",
        default="",
        metavar="KINDS",
        help="device kinds or ids to leave out (e.g. motion,presence): a sparser home",
    )
    parser.add_argument(
        "--front-door-from",
        metavar="ACTIVITY",
        help="a front-door sensor made from the labels: opened and shut as each such "
        "activity (e.g. leave-house) begins and ends, after the home's last reading early "
        "in it and before its first late in it, over the labelled span only",
    )
    parser.add_argument(
        "--at-night",
        action="store_true",
        help="inject the collapses within the config's night, while she is up (the toilet, "
        "a drink), instead of by day",
    )
    parser.add_argument(
        "--signs-while-out",
        action="store_true",
        help="play into each collapse's silence what the home's sensors recorded while she "
        "was labelled out (a PIR that fires by itself, a flapping contact), from a random "
        "point of those hours on",
    )
    parser.add_argument(
        "--thresholds",
        default="{}",
        metavar="JSON",
        help='detector settings over each config\'s, e.g. \'{"no_activity": {"quantile": 0.8}}\'',
    )


def run(args: argparse.Namespace) -> int:
    if args.injections < 0 or args.horizon_h <= 0:
        print("eldercare eval homes: --injections >= 0 and --horizon-h > 0", file=sys.stderr)
        return 2
    began = time.perf_counter()
    notes: list[str] = []
    try:
        thresholds = json.loads(args.thresholds)
    except json.JSONDecodeError as exc:
        print(f"eldercare eval homes: --thresholds is not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(thresholds, dict) or not all(
        isinstance(v, dict) for v in thresholds.values()
    ):
        print(
            "eldercare eval homes: --thresholds must map detector names to settings",
            file=sys.stderr,
        )
        return 2
    try:
        without = {word.strip() for word in args.without.split(",") if word.strip()}
        result = evaluate_homes(
            args.folders,
            args.injections,
            args.seed,
            args.horizon_h,
            without=without,
            thresholds=thresholds,
            front_door_from=args.front_door_from,
            signs_while_out=args.signs_while_out,
            at_night=args.at_night,
            on_note=lambda folder, note: notes.append(f"{folder}: {note}"),
        )
    except NoHomeEvaluated as exc:
        for error in exc.errors:
            print(f"eldercare eval homes: {error['folder']}: {error['reason']}", file=sys.stderr)
        return 2
    except (EvaluationError, AnalyticsError) as exc:
        print(f"eldercare eval homes: {exc}", file=sys.stderr)
        return 2
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    print(table(result), file=sys.stderr)
    for note in notes:
        print(f"eldercare eval homes: note: {note}", file=sys.stderr)
    for error in result["errors"]:
        print(f"eldercare eval homes: {error['folder']}: {error['reason']}", file=sys.stderr)
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if result["errors"] else 0


def table(result: dict[str, Any]) -> str:
    header = (
        f"{'home':<16} {'days':>6} {'false alarms':>13} {'per month':>10} "
        f"{'collapses':>10} {'median':>8} {'max':>8}  false alarms by kind"
    )
    lines = [header]
    rows = [*result["homes"], {"home": "all", **result["overall"], "collapses": None}]
    for row in rows:
        collapses = row["collapses"] or row
        days = row.get("days", round(row.get("resident_months", 0) * 30, 2))
        lines.append(
            f"{row['home']:<16} {days:>6.1f} {row['false_alarms_total']:>13} "
            f"{_number(row['false_alarms_per_resident_month']):>10} "
            f"{collapses['detected']:>4}/{collapses['injected']:<5} "
            f"{_duration(collapses['median_delay_s']):>8} {_duration(collapses['max_delay_s']):>8}"
            f"  {row['false_alarms'] or '-'}"
        )
    worst = result["worst_home"]
    if len(result["homes"]) > 1 and worst:
        parts = [f"false alarms {worst['false_alarms_per_resident_month']['home']}"]
        if worst["detection_rate"]:
            parts.append(f"detection {worst['detection_rate']['home']}")
            parts.append(f"median delay {worst['median_delay_s']['home']}")
        lines.append("worst home: " + ", ".join(parts))
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / 60:.0f} min" if seconds < 2 * HOUR else f"{seconds / HOUR:.1f} h"
