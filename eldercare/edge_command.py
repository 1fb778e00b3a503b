"""``eldercare edge``: the edge agent of one home, or the hosted edges of many homes.

``--config HOME.yaml`` runs one :class:`edge.agent.EdgeAgent`; ``--hosted DIR`` runs one
:class:`edge.hosted.HostedEdges` for every home config file (``*.yaml``, ``*.yml``,
``*.json``) in DIR, over one MQTT connection each way. Exactly one of the two is required.
Both get one :class:`edge.settings.EdgeSettings`, built here from the options.

The lead's eldercare/cli.py calls ``add_arguments`` on the subcommand's parser and ``run``
with the parsed arguments. User mistakes (bad config, bad URL, unusable data folder) end
with one line on stderr and exit code 2, never a traceback. SIGTERM and Ctrl-C stop the
agent cleanly (telemetry batch into the outbox, offline status, outbox closed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import yaml

from contracts.errors import HomeConfigError
from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE
from edge import EdgeAgent, EdgeSettings, HostedEdges, OutboxError
from edge.config_store import with_known_models
from edge.runtime import EdgeRuntime
from edge.settings import HOSTED_ZIGBEE_BASE
from transport.late_acks import quiet_late_acknowledgements
from transport.reconnect import BrokerUrlError

EXIT_USAGE = 2
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


class UsageError(Exception):
    """A mistake on the command line or in the hosted folder, said in one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the edge agent of one home (--config), or the edges of many homes in one process "
        "over one connection each way (--hosted DIR): decode the devices on the local broker, "
        "detect falls, SOS and the rest at the edge, and send events and telemetry upstream "
        "through a durable outbox. Configs pushed by the hub are applied live (the last good "
        "one is kept) and its commands passed on to the local broker."
    )
    homes = parser.add_mutually_exclusive_group(required=True)
    homes.add_argument("--config", metavar="HOME.yaml", help="one home's config")
    homes.add_argument(
        "--hosted",
        metavar="DIR",
        help="host every home config in DIR (*.yaml, *.yml, *.json) in this one process",
    )
    parser.add_argument(
        "--local",
        metavar="URL",
        required=True,
        help="the broker the devices publish to, mqtt://host:port",
    )
    parser.add_argument(
        "--uplink", metavar="URL", required=True, help="the hub's broker, mqtt://host:port"
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        required=True,
        help="outbox and last good config live here (with --hosted: one folder per home)",
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"default {DEFAULT_PREFIX}")
    parser.add_argument(
        "--zigbee-base",
        default=None,
        help=f"default {ZIGBEE2MQTT_BASE}; with --hosted {HOSTED_ZIGBEE_BASE} "
        "({home} is each home's id, one whole topic level)",
    )
    parser.add_argument(
        "--process-id",
        metavar="ID",
        help="with --hosted: this process's name on the uplink "
        "(<prefix>/hosted/<ID>/status, its will); default the host name",
    )
    parser.add_argument(
        "--telemetry-every",
        metavar="S",
        type=_positive_float,
        default=60.0,
        help="seconds between telemetry messages to the hub (default 60); readings are on "
        "disk within a second whatever this is",
    )
    parser.add_argument(
        "--status-every",
        metavar="S",
        type=_positive_float,
        default=60.0,
        help="seconds between status heartbeats to the hub, with the counts of what was "
        "refused (default 60)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_late_acknowledgements()
    try:
        agent = _hosted(args) if args.hosted is not None else _single(args)
    except (HomeConfigError, BrokerUrlError, OutboxError, UsageError) as exc:
        print(f"eldercare edge: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"eldercare edge: data folder {args.data}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_until_signal(agent))
    return 0


def _settings(args: argparse.Namespace) -> EdgeSettings:
    try:
        return EdgeSettings(
            local=args.local,
            uplink=args.uplink,
            data_dir=Path(args.data),
            prefix=args.prefix,
            zigbee_base=args.zigbee_base,
            process_id=args.process_id,
            telemetry_every_s=args.telemetry_every,
            heartbeat_every_s=args.status_every,
        )
    except BrokerUrlError:
        raise
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _single(args: argparse.Namespace) -> EdgeRuntime:
    if args.process_id is not None:
        raise UsageError("--process-id goes with --hosted, not --config")
    config = with_known_models(HomeConfig.load(args.config), args.config)
    return EdgeAgent(config, _settings(args))


def _hosted(args: argparse.Namespace) -> EdgeRuntime:
    configs = hosted_configs(Path(args.hosted))
    process_id = args.process_id
    if process_id is not None and (not process_id or any(c in process_id for c in "/+#")):
        raise UsageError(f"--process-id {process_id!r}: must be one topic level (no / + #)")
    settings = _settings(args)
    try:
        return HostedEdges(configs, settings)
    except (HomeConfigError, OutboxError, OSError):
        raise
    except ValueError as exc:  # the homes or topics cannot be hosted together (said why)
        raise UsageError(f"--hosted {args.hosted}: {exc}") from exc


def hosted_configs(folder: Path) -> list[HomeConfig]:
    """Every home config file in ``folder`` (not its subfolders, not hidden files), by name.

    Raises HomeConfigError naming the first file that is not a usable config, and UsageError
    for an unusable folder or a home given by two files.
    """
    try:
        files = sorted(
            path
            for path in folder.iterdir()
            if path.suffix.lower() in CONFIG_SUFFIXES
            and not path.name.startswith(".")
            and path.is_file()
        )
    except OSError as exc:
        raise UsageError(f"--hosted {folder}: {exc.strerror}") from exc
    if not files:
        raise UsageError(f"--hosted {folder}: no home config (*.yaml, *.yml, *.json) in it")
    configs: list[HomeConfig] = []
    seen: dict[str, Path] = {}
    for path in files:
        config = with_known_models(HomeConfig.load(path), path)
        if config.home in seen:
            raise UsageError(f"{path}: home {config.home} is already in {seen[config.home]}")
        seen[config.home] = path
        configs.append(config)
    return configs


def _one_line(exc: Exception) -> str:
    """The error in one line: a YAML syntax error by its line and column, not a snippet."""
    cause = exc.__cause__
    if (
        isinstance(exc, HomeConfigError)
        and isinstance(cause, yaml.MarkedYAMLError)
        and cause.problem_mark is not None
    ):
        mark = cause.problem_mark
        return (
            f"{exc.source or 'home config'}: not valid YAML or JSON: "
            f"line {mark.line + 1}, column {mark.column + 1}: {cause.problem}"
        )
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


async def _run_until_signal(agent: EdgeRuntime) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await agent.run()
    except asyncio.CancelledError:
        logging.getLogger("edge").info("stopped")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value
