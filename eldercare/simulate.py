"""``eldercare simulate``: simulated homes, to files or as real device traffic on a broker.

The lead's eldercare/cli.py calls ``add_arguments`` on the subcommand's parser and ``run``
with the parsed arguments. User mistakes (bad URL, unwritable folder, unreachable broker)
end with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

from contracts.home import HomeConfig
from contracts.reading import Reading
from contracts.topics import DEFAULT_PREFIX
from simulators.errors import SimulatorError

DEFAULT_START = date(2026, 11, 1)
# Homes share one broker in a simulation, so each gets its own Zigbee2MQTT base topic
# (Zigbee2MQTT's mqtt.base_topic), as each home would have its own Zigbee2MQTT.
DEFAULT_ZIGBEE_BASE = "zigbee2mqtt/{home}"
EXIT_USAGE = 2
MAX_DAYS = 3660  # ten years: beyond that a typo is likelier than a plan
EXIT_INTERRUPTED = 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Simulate elderly residents at home: write their readings and the scripted incidents "
        "to a folder (--out), or publish the real device payloads to an MQTT broker "
        "(--broker) in accelerated time."
    )
    parser.add_argument(
        "--homes", metavar="N", type=_positive_int, default=3, help="homes (default 3)"
    )
    parser.add_argument(
        "--days", metavar="D", type=_days, default=7.0, help="simulated days (default 7)"
    )
    parser.add_argument("--seed", metavar="S", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--start",
        metavar="YYYY-MM-DD",
        type=_date,
        default=DEFAULT_START,
        help="first day, from local midnight in each home's time zone "
        f"(default {DEFAULT_START.isoformat()})",
    )
    parser.add_argument(
        "--incidents",
        choices=("default", "none"),
        default="default",
        help="scripted incidents: the default plan, or none (default: default)",
    )
    parser.add_argument(
        "--life",
        choices=("messy", "tidy"),
        default="messy",
        help="residents and sensors as messy as real homes (late nights, long and evening "
        "outings, days away, stuck and silent sensors, homes without a front-door sensor), "
        "or the tidy life of the demo (default: messy)",
    )
    parser.add_argument(
        "--institution",
        action="store_true",
        help="a care-home floor instead of homes: one config per bed (two beds a room), "
        "residents of mixed fall risk, some who wander, night bed exits, falls in the room, "
        "calls, bed sensors that drop out, a unit door staff use all night",
    )
    parser.add_argument(
        "--beds",
        metavar="N",
        type=_positive_int,
        default=20,
        help="beds of the floor, with --institution (default 20)",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="DIR", help="write the run to this folder")
    target.add_argument("--broker", metavar="URL", help="publish to this broker, mqtt://host:port")
    publishing = parser.add_argument_group("publishing (with --broker)")
    publishing.add_argument(
        "--speed",
        metavar="X",
        type=_speed,
        default=600.0,
        help="simulated seconds per real second, or 'max' (default 600)",
    )
    publishing.add_argument(
        "--faults",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of messages followed by an injected device fault, 0-1 (default 0)",
    )
    publishing.add_argument(
        "--prefix",
        metavar="TOPIC",
        type=_topic_prefix,
        default=DEFAULT_PREFIX,
        help=f"topic prefix of native devices (default {DEFAULT_PREFIX})",
    )
    publishing.add_argument(
        "--zigbee-base",
        metavar="TOPIC",
        type=_topic_prefix,
        default=DEFAULT_ZIGBEE_BASE,
        help="Zigbee2MQTT base topic; {home} becomes the home id so homes sharing a broker "
        f"do not collide (default {DEFAULT_ZIGBEE_BASE})",
    )


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        summary = _to_files(args) if args.out is not None else _to_broker(args)
    except SimulatorError as exc:
        print(f"eldercare simulate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("eldercare simulate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    elapsed = time.monotonic() - started
    print(f"eldercare simulate: {summary}, {elapsed:.1f} s", file=sys.stderr)
    return 0


def _to_files(args: argparse.Namespace) -> str:
    from simulators.files import prepare_folder, write_run

    prepare_folder(args.out)
    runs = _simulations(args)
    written = write_run(args.out, runs, seed=args.seed, start=args.start, days=args.days)
    return (
        f"{len(written.homes)} {_units(args)} x {args.days:g} days from {args.start}: "
        f"{written.readings} readings, {written.incidents} incidents -> {written.folder}"
    )


def _to_broker(args: argparse.Namespace) -> str:
    from simulators.faults import FaultRecord, inject_faults
    from simulators.payloads import DeviceMessage, encode_stream
    from simulators.publish import broker_address, merge_by_time, publish

    broker = broker_address(args.broker)
    count = args.beds if args.institution else args.homes
    if count > 1 and "{home}" not in args.zigbee_base:
        raise SimulatorError(
            f"--zigbee-base {args.zigbee_base!r} has no {{home}}: {count} {_units(args)} "
            "would publish their Zigbee2MQTT devices on the same topics"
        )
    runs: list[tuple[HomeConfig, Any]] = []
    counter = _Counter()
    record = FaultRecord()

    def messages() -> Iterator[DeviceMessage]:
        # Runs once connected: an unreachable broker is reported before any simulating.
        runs.extend(_simulations(args))
        streams = [
            encode_stream(
                counter.count(simulation.readings()),
                home,
                prefix=args.prefix,
                zigbee_base=args.zigbee_base.replace("{home}", home.home),
            )
            for home, simulation in runs
        ]
        yield from inject_faults(merge_by_time(streams), args.faults, args.seed, record=record)

    report = asyncio.run(publish(messages(), broker, speed=args.speed))
    incidents = sum(len(simulation.truth) for _, simulation in runs)
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(record.counts.items()))
    return (
        f"{len(runs)} {_units(args)} x {args.days:g} days from {args.start}: "
        f"{counter.readings} readings -> {report.messages} messages to {broker} "
        f"({report.rate:.0f}/s), {incidents} incidents, "
        f"{record.total} faults injected{f' ({faults})' if faults else ''}"
    )


@dataclass
class _Counter:
    readings: int = 0

    def count(self, readings: Iterable[Reading]) -> Iterator[Reading]:
        for reading in readings:
            self.readings += 1
            yield reading


def _units(args: argparse.Namespace) -> str:
    return "beds" if args.institution else "homes"


def _simulations(args: argparse.Namespace) -> list[tuple[HomeConfig, Any]]:
    # Imported here: the simulation pulls in numpy, which `eldercare --help` need not pay for.
    if args.institution:
        return _floor(args)
    from simulators.homes import make_home_configs
    from simulators.simulation import simulate_home

    incidents = _incident_plan(args.incidents)
    messy = args.life == "messy"
    runs = []
    for home in make_home_configs(args.homes, args.seed, messy=messy):
        start = datetime.combine(args.start, clock_time(0), tzinfo=home.tz)
        simulation = simulate_home(
            home, start=start, days=args.days, seed=args.seed, incidents=incidents, messy=messy
        )
        runs.append((home, simulation))
    return runs


def _floor(args: argparse.Namespace) -> list[tuple[HomeConfig, Any]]:
    """A care-home floor: every bed's config and simulation. Its shared devices (the
    room's radar, the unit door) are in every bed's readings and, live, published under
    every bed's Zigbee2MQTT base: a hosted edge routes a topic to one home."""
    from simulators.floor import make_floor_configs
    from simulators.institution import simulate_floor

    configs = make_floor_configs(args.beds, args.seed)
    start = datetime.combine(args.start, clock_time(0), tzinfo=configs[0].tz)
    scripted = args.incidents == "default"
    runs = simulate_floor(configs, start=start, days=args.days, seed=args.seed, scripted=scripted)
    return list(runs)


def _incident_plan(choice: str) -> Any:
    if choice == "default":
        return None
    from simulators.incidents import IncidentPlan

    return IncidentPlan.none()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_DAYS}, got {text}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _speed(text: str) -> float:
    if text.strip().lower() == "max":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'max': {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 ('max') or positive, got {text}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _topic_prefix(text: str) -> str:
    levels = text.split("/")
    if not text or "" in levels or "+" in text or "#" in text:
        raise argparse.ArgumentTypeError(
            f"not a topic prefix (levels separated by '/', no wildcards): {text!r}"
        )
    return text
