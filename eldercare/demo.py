"""`eldercare demo`: a private broker, simulated homes, and their alerts as they happen.

Everything runs in one process: Mosquitto as a child process (unless --broker), the
simulator publishing real device payloads in accelerated time, and a watcher that does
what each home's edge agent does — decode, detect — and prints every alert. Scripted
incidents happen in the first simulated hours so something shows within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import aiomqtt

from analytics import Event, HomeMonitor
from devices import ClockLimits, PayloadError, decode
from simulators.errors import SimulatorError
from simulators.incidents import GroundTruth, IncidentPlan
from simulators.payloads import DeviceMessage

from .broker import BrokerError, start_broker
from .home import HomeConfig

PREFIX = "eldercare/v1"
ZIGBEE_BASE = "zigbee2mqtt/{home}"  # one Zigbee2MQTT base topic per home on a shared broker
STATION = "st-demo-01"
# What happens in which home on the first simulated morning (the rest is normal life).
SCRIPT = (
    IncidentPlan("sos", 0, {"time": "06:25"}),
    IncidentPlan("fall", 0, {"time": "06:50", "place": "bathroom"}),
    IncidentPlan("tachycardia", 0, {"time": "07:10"}),
    IncidentPlan("fall_recovered", 0, {"time": "07:40"}),
    IncidentPlan("low_spo2", 0, {"time": "08:30"}),
    IncidentPlan("night_wandering", 1, {"time": "02:10"}),
)
# In accelerated time every real-time hiccup (a GC pause, a busy core) is multiplied by
# the speed, so device clocks may look minutes ahead of ours without being wrong.
ACCELERATED_CLOCK = ClockLimits(max_ahead=timedelta(hours=1))
SEVERITY_MARK = {"critical": "!!!", "major": "!! ", "minor": "!  ", "warning": ".  "}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--homes", type=int, default=4, help="simulated homes (default 4)")
    parser.add_argument(
        "--speed", type=float, default=300, help="simulated seconds per second (default 300)"
    )
    parser.add_argument("--days", type=float, default=2, help="simulated days (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broker", help="use this broker (mqtt://host:port) instead of our own")


def run(args: argparse.Namespace) -> int:
    if args.homes < 1 or args.speed <= 0 or args.days <= 0:
        print("eldercare demo: --homes, --speed and --days must be positive", file=sys.stderr)
        return 2
    failure: Exception | None = None
    try:
        return asyncio.run(_demo(args))
    except* (BrokerError, SimulatorError, aiomqtt.MqttError) as group:
        failure = group.exceptions[0]
    print(f"eldercare demo: {failure}", file=sys.stderr)
    return 2


async def _demo(args: argparse.Namespace) -> int:
    from simulators.homes import make_home_configs
    from simulators.publish import broker_address, merge_by_time, publish

    with tempfile.TemporaryDirectory(prefix="eldercare-demo-") as workdir:
        broker = None if args.broker else start_broker(Path(workdir) / "mosquitto")
        try:
            url = args.broker or broker.url
            address = broker_address(url)
            homes = make_home_configs(args.homes, args.seed, station=STATION)
            streams, truth = _simulate(homes, args)
            _introduce(homes, url, args)
            watcher = Watcher(homes, speed=args.speed, truth=truth)
            async with asyncio.TaskGroup() as tasks:
                watching = tasks.create_task(watcher.watch(address), name="watcher")
                await watcher.subscribed.wait()
                await publish(merge_by_time(streams), address, speed=args.speed)
                await asyncio.sleep(1)
                watching.cancel()
            watcher.print_summary()
        finally:
            if broker is not None:
                broker.stop()
    return 0


def _simulate(
    homes: list[HomeConfig], args: argparse.Namespace
) -> tuple[list[Iterator[DeviceMessage]], list[GroundTruth]]:
    from simulators.payloads import encode_stream
    from simulators.simulation import simulate_home

    streams, truth = [], []
    today = date.today()
    for index, home in enumerate(homes):
        midnight = datetime.combine(today, clock_time(0), tzinfo=home.tz)
        # Home i gets every len(homes)-th scripted incident.
        script = [
            plan
            for n, plan in enumerate(SCRIPT)
            if n % len(homes) == index and plan.day < args.days
        ]
        simulation = simulate_home(
            home, start=midnight, days=args.days, seed=args.seed, incidents=script
        )
        truth.extend(simulation.truth)
        morning = midnight + timedelta(hours=6)  # skip the quiet night before
        messages = encode_stream(
            (r for r in simulation.readings() if r.ts >= morning),
            home,
            prefix=PREFIX,
            zigbee_base=ZIGBEE_BASE.format(home=home.home),
        )
        streams.append(messages)
    return streams, sorted(truth, key=lambda t: t.start)


def _introduce(homes: list[HomeConfig], url: str, args: argparse.Namespace) -> None:
    print(f"eldercare demo: broker {url}; {len(homes)} homes of station {STATION}")
    for home in homes:
        devices = ", ".join(f"{d.id} ({d.model or d.kind})" for d in home.devices)
        print(f"  {home.home} {home.resident.name} b.{home.resident.birth_year}: {devices}")
    print(
        f"Simulated time runs {args.speed:g}x from 06:00 for {args.days:g} days; "
        "Ctrl-C stops. Watch the MQTT traffic with:\n"
        f"  mosquitto_sub -h {url.split('//')[1].split(':')[0]} "
        f"-p {url.rsplit(':', 1)[1]} -t 'zigbee2mqtt/#' -t '{PREFIX}/#' -v\n"
    )


class Watcher:
    """Decodes every device message and runs each home's detectors, like an edge agent."""

    def __init__(self, homes: list[HomeConfig], *, speed: float, truth: list[GroundTruth]):
        self.homes = {home.home: home for home in homes}
        self.monitors = {home.home: HomeMonitor(home) for home in homes}
        self.speed = speed
        self.truth = list(truth)
        self.subscribed = asyncio.Event()
        self.counts: Counter[str] = Counter()
        self.alerts: Counter[str] = Counter()
        # The simulated clock: anchored on the first message, then running at ``speed``.
        self._anchor: tuple[float, datetime] | None = None

    def simulated_now(self, first_ts: datetime | None = None) -> datetime:
        if self._anchor is None:
            self._anchor = (time.monotonic(), first_ts or datetime.now().astimezone())
        real, simulated = self._anchor
        return simulated + timedelta(seconds=(time.monotonic() - real) * self.speed)

    async def watch(self, address) -> None:
        async with aiomqtt.Client(address.host, address.port) as client:
            await client.subscribe("zigbee2mqtt/#", qos=1)
            await client.subscribe(f"{PREFIX}/+/dev/+/up", qos=1)
            self.subscribed.set()
            async for message in client.messages:
                self.handle(str(message.topic), message.payload)

    def handle(self, topic: str, payload: bytes) -> None:
        levels = topic.split("/")
        home_id = levels[1] if levels[0] == "zigbee2mqtt" else levels[2]
        home = self.homes.get(home_id)
        if home is None:
            self.counts["unknown home"] += 1
            return
        received_at = self.simulated_now(_payload_time_hint(payload))
        try:
            decoded = decode(
                topic,
                payload,
                home,
                received_at=received_at,
                prefix=PREFIX,
                zigbee_base=ZIGBEE_BASE.format(home=home_id),
                clock=ACCELERATED_CLOCK,
            )
        except PayloadError as exc:
            self.counts[f"refused: {exc.problem}"] += 1
            print(f"      refused {exc}")
            return
        self.counts["messages"] += 1
        self.counts["readings"] += len(decoded.readings)
        for refused in decoded.rejected:
            self.counts[f"refused: {refused.problem}"] += 1
        self._announce_script(received_at)
        for reading in decoded.readings:
            for event in self.monitors[home_id].feed(reading):
                self.show(event)

    def _announce_script(self, now: datetime) -> None:
        while self.truth and self.truth[0].start <= now:
            scripted = self.truth.pop(0)
            local = scripted.start.astimezone(self.homes[scripted.home].tz)
            print(f"{local:%a %H:%M}  {scripted.home}  (script: {scripted.kind} happens now)")

    def show(self, event: Event) -> None:
        home = self.homes[event.home]
        local = datetime.fromtimestamp(event.ts, home.tz)
        mark = SEVERITY_MARK[event.severity] if event.state != "cleared" else "ok "
        if event.state == "raised":
            self.alerts[event.kind] += 1
        evidence = ", ".join(f"{k}={_short(v, home)}" for k, v in list(event.evidence.items())[:5])
        print(
            f"{local:%a %H:%M} {mark} {event.home} {home.resident.name}: {event.kind} "
            f"{event.state} ({event.severity}) {evidence}"
        )

    def print_summary(self) -> None:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
        alerts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.alerts.items())) or "none"
        print(f"\neldercare demo: {counts}\nalerts raised: {alerts}")


def _payload_time_hint(payload: bytes) -> datetime | None:
    # Only used to anchor the simulated clock on the very first message.
    import json

    try:
        body = json.loads(payload)
        if "ts" in body:
            return datetime.fromtimestamp(float(body["ts"])).astimezone()
        if "last_seen" in body:
            return datetime.fromisoformat(body["last_seen"])
    except (ValueError, TypeError):
        return None
    return None


def _short(value: object, home: HomeConfig) -> str:
    if isinstance(value, float):
        # Evidence carries instants as epoch seconds; show them as the home's local time.
        if 1e9 < value < 4e9:
            return f"{datetime.fromtimestamp(value, home.tz):%H:%M:%S}"
        return f"{value:.4g}"
    return str(value)
