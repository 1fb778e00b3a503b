"""`eldercare`: the one command line of ARCHITECTURE.md."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple


class Command(NamedTuple):
    help: str
    module: str  # with add_arguments(parser) and run(args) -> exit status


# Each command's module is imported only when that command runs (or its --help is asked
# for): `eldercare --help` must not pay for numpy, aiomqtt and the simulator.
COMMANDS: dict[str, Command] = {
    "demo": Command("broker, simulated homes and live alerts in one go", "eldercare.demo"),
    "simulate": Command("simulated homes: files or live MQTT traffic", "eldercare.simulate"),
    "hub": Command("the hub and its API against a broker and a store", "eldercare.hub_command"),
    "upgrade": Command(
        "bring a hub's store to this version's schema (after a backup)",
        "eldercare.upgrade_command",
    ),
    "edge": Command("the edge agent of one home, or of many (--hosted)", "eldercare.edge_command"),
    "replay": Command("readings + home config -> events, no broker", "eldercare.replay"),
    "eval falls": Command("fall detector over SisFall or CSV trials", "eldercare.eval_falls"),
    "eval homes": Command(
        "activity detectors on real recordings: false alarms, injected collapses",
        "eldercare.eval_homes",
    ),
    "eval scenarios": Command(
        "all detectors over simulated homes with scripted incidents", "eldercare.eval_scenarios"
    ),
    "bench": Command("pipeline throughput and latency vs raw broker", "eldercare.bench"),
    "fuzz": Command(
        "generated and mutated payloads through every network entry point", "eldercare.fuzz"
    ),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``chosen`` (a COMMANDS key) gets its full arguments."""
    parser = argparse.ArgumentParser(
        prog="eldercare",
        description="Smart eldercare hub: edge agents, distress detection, station alerts.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    evaluations = None
    for name, command in COMMANDS.items():
        group, _, leaf = name.rpartition(" ")
        if group and evaluations is None:
            evaluations = commands.add_parser(
                group, help="detection quality on labelled recordings and simulated homes"
            ).add_subparsers(dest="evaluation", required=True, metavar="WHAT")
        sub = (evaluations if group else commands).add_parser(leaf, help=command.help)
        if name == chosen:
            module = importlib.import_module(command.module)
            module.add_arguments(sub)
            sub.set_defaults(handler=module.run)
    return parser


def _chosen(argv: Sequence[str]) -> str | None:
    words = [word for word in argv if not word.startswith("-")][:2]
    for length in (2, 1):
        name = " ".join(words[:length])
        if name in COMMANDS:
            return name
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_chosen(argv)).parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
