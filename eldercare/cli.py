"""`eldercare`: the one command line of ARCHITECTURE.md."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

NOT_BUILT_YET = 3


def _not_built(issue: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        print(f"eldercare {args.command}: not built yet ({issue})", file=sys.stderr)
        return NOT_BUILT_YET

    return run


def _lazy(module: str, function: str = "run") -> Callable[[argparse.Namespace], int]:
    # Import on use: `eldercare replay` must not pay for the hub's imports and vice versa.
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(module), function)(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eldercare",
        description="Smart eldercare hub: edge agents, distress detection, station alerts.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="broker, simulated homes and live decoding in one go")
    from eldercare.demo import add_arguments as demo_arguments

    demo_arguments(demo)
    demo.set_defaults(handler=_lazy("eldercare.demo"))

    simulate = commands.add_parser("simulate", help="simulated homes: files or live MQTT traffic")
    from simulators.command import add_arguments as simulate_arguments

    simulate_arguments(simulate)
    simulate.set_defaults(handler=_lazy("simulators.command"))

    hub = commands.add_parser("hub", help="the hub against a broker and a store")
    hub.set_defaults(handler=_not_built("issue 4: hub"))

    edge = commands.add_parser("edge", help="one edge agent for a home config")
    edge.set_defaults(handler=_not_built("issue 5: edge agent"))

    replay = commands.add_parser("replay", help="readings + home config -> events, no broker")
    from eldercare.replay import add_arguments as replay_arguments

    replay_arguments(replay)
    replay.set_defaults(handler=_lazy("eldercare.replay"))

    evaluate = commands.add_parser("eval", help="detection quality on labelled recordings")
    evaluations = evaluate.add_subparsers(dest="evaluation", required=True, metavar="WHAT")
    falls = evaluations.add_parser("falls", help="fall detector over SisFall or CSV trials")
    from eldercare.eval_falls import add_arguments as falls_arguments

    falls_arguments(falls)
    falls.set_defaults(handler=_lazy("eldercare.eval_falls"))

    scenarios = evaluations.add_parser(
        "scenarios", help="all detectors over simulated homes with scripted incidents"
    )
    from eldercare.eval_scenarios import add_arguments as scenario_arguments

    scenario_arguments(scenarios)
    scenarios.set_defaults(handler=_lazy("eldercare.eval_scenarios"))

    bench = commands.add_parser("bench", help="pipeline throughput and latency vs raw broker")
    bench.set_defaults(handler=_not_built("issue 4: hub"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
