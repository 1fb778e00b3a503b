"""``eldercare edge``: one edge agent for a home config, local broker -> uplink broker.

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

from devices.codec import DEFAULT_PREFIX, ZIGBEE2MQTT_BASE
from eldercare.errors import HomeConfigError
from eldercare.home import HomeConfig

from .outbox import OutboxError
from .uplink import BrokerUrl, BrokerUrlError

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the edge agent of one home: decode the devices on the local broker, detect "
        "falls, SOS and the rest at the edge, and send events and telemetry upstream through "
        "a durable outbox."
    )
    parser.add_argument("--config", metavar="HOME.yaml", required=True, help="home config")
    parser.add_argument(
        "--local", metavar="URL", required=True, help="the home's broker, mqtt://host:port"
    )
    parser.add_argument(
        "--uplink", metavar="URL", required=True, help="the hub's broker, mqtt://host:port"
    )
    parser.add_argument(
        "--data", metavar="DIR", required=True, help="outbox and last good config live here"
    )
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"default {DEFAULT_PREFIX}")
    parser.add_argument(
        "--zigbee-base", default=ZIGBEE2MQTT_BASE, help=f"default {ZIGBEE2MQTT_BASE}"
    )
    parser.add_argument(
        "--telemetry-every",
        metavar="S",
        type=_positive_float,
        default=60.0,
        help="seconds between telemetry batches (default 60)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from .agent import EdgeAgent

    try:
        config = HomeConfig.load(args.config)
        for url in (args.local, args.uplink):
            BrokerUrl.parse(url)
        agent = EdgeAgent(
            config,
            local=args.local,
            uplink=args.uplink,
            data_dir=Path(args.data),
            prefix=args.prefix,
            zigbee_base=args.zigbee_base,
            telemetry_every_s=args.telemetry_every,
        )
    except (HomeConfigError, BrokerUrlError, OutboxError) as exc:
        print(f"eldercare edge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"eldercare edge: data folder {args.data}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run_until_signal(agent))
    return 0


async def _run_until_signal(agent) -> None:
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
