"""`eldercare demo`: the whole system in one process, alerts within a minute.

* Mosquitto as a child process (unless ``--broker``);
* simulated homes publishing real Zigbee2MQTT and bracelet payloads in accelerated time,
  with scripted incidents on the first simulated morning (an SOS, a fall in the bathroom,
  tachycardia, a fall she gets up from, low SpO2, night wandering);
* their edges, as hosted edges (decode, detect, durable outbox) on a simulated clock;
* the hub (ingest, store, alert life cycle, escalation) and the API with the dispatcher
  console and the family app on http://127.0.0.1:8000, with demo accounts.

The terminal shows each alert as the hub raises it. The simulation stops after ``--days``;
the web pages stay up until Ctrl-C (or SIGTERM: its brokers and files go with it).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys
import tempfile
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import aiomqtt

from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX
from devices import ClockLimits
from simulators.errors import SimulatorError
from simulators.incidents import IncidentPlan
from simulators.payloads import DeviceMessage
from transport.broker_url import BrokerUrl
from transport.late_acks import quiet_late_acknowledgements

from .broker import BrokerError, start_broker
from .demo_care import seed_care
from .demo_institution import floor_streams, introduction, register_institution, resident_configs

PREFIX = DEFAULT_PREFIX
ZIGBEE_BASE = "zigbee2mqtt/{home}"  # one Zigbee2MQTT base topic per home on a shared broker
STATION = "st-demo-01"
STATION_NAME = "颍州社区养老服务站 (demo)"
PASSWORD = "demo"
# Demo accounts: (user name, name shown in histories, role).
ACCOUNTS = (
    ("dispatcher", "张丽", "dispatcher"),
    ("family", "李明", "family"),
    ("admin", "Administrator", "admin"),
)
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
    parser.description = (
        "Run everything at once: a broker, simulated homes with scripted incidents, their "
        "edges, the hub and the web pages. Open the printed address and log in."
    )
    parser.add_argument("--homes", type=int, default=4, help="simulated homes (default 4)")
    parser.add_argument(
        "--speed", type=float, default=300, help="simulated seconds per second (default 300)"
    )
    parser.add_argument("--days", type=float, default=2, help="simulated days (default 2)")
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed of the simulated homes (default 1)"
    )
    parser.add_argument("--broker", help="use this broker (mqtt://host:port) instead of our own")
    parser.add_argument("--host", default="127.0.0.1", help="web address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="web port (default 8000)")
    parser.add_argument(
        "--exit-after-simulation",
        action="store_true",
        help="stop when the simulated days are over instead of serving until Ctrl-C",
    )


def run(args: argparse.Namespace) -> int:
    if args.homes < 1 or args.speed <= 0 or args.days <= 0:
        print("eldercare demo: --homes, --speed and --days must be positive", file=sys.stderr)
        return 2
    if not _port_free(args.host, args.port):
        print(
            f"eldercare demo: {args.host}:{args.port} is in use; choose another with --port",
            file=sys.stderr,
        )
        return 2
    failure: Exception | None = None
    try:
        return asyncio.run(_until_stopped(args))
    except* (BrokerError, SimulatorError, aiomqtt.MqttError) as group:
        failure = group.exceptions[0]
    print(f"eldercare demo: {failure}", file=sys.stderr)
    return 2


async def _until_stopped(args: argparse.Namespace) -> int:
    """The demo until the simulation and the pages are done, or until it is stopped: Ctrl-C,
    a service manager's SIGTERM, a closed terminal's SIGHUP. Each stops it the same way,
    through its ``finally``: the private brokers are stopped and its folder removed (a
    killed demo used to leave its two Mosquitto processes running)."""
    task = asyncio.current_task()
    assert task is not None
    stop = _Stop(task)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop)
    try:
        code = await _demo(args, stop)
    except asyncio.CancelledError:
        code = 0
    if stop.requested.is_set():
        print("eldercare demo: stopped.")
    return code


class _Stop:
    """What a stop signal does: before the pages are up it cancels the demo at once; after,
    it asks for the pages and the hub to shut down as uvicorn does (their lifespan closes the
    hub's connection: nothing is cut off mid-message, no traceback), and a second one
    cancels. While serving, uvicorn takes SIGINT and SIGTERM itself, shuts down the same
    way and passes the signal on once it has."""

    def __init__(self, task: asyncio.Task[int]):
        self.task = task
        self.requested = asyncio.Event()
        self.serving = False
        self.signals = 0

    def __call__(self) -> None:
        self.signals += 1
        if self.signals > 1 or not self.serving:
            _quiet_mqtt_cancellation(self.task.get_loop())
            self.task.cancel()
        self.requested.set()


def _quiet_mqtt_cancellation(loop: asyncio.AbstractEventLoop) -> None:
    """From the stop on, what aiomqtt 2.5 says of the operations the stop cancelled is not
    printed: a SUBACK for a cancelled subscribe ("Unexpected message ID", logged with a
    traceback), a disconnection nobody awaits any more ("Future exception was never
    retrieved"), a disconnect callback on a cancelled connect (transport.sessions keeps
    the edges' and the hub's from it). Each is a cancelled operation's answer arriving
    late, not a failure; anything else still is printed."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        failure = context.get("exception")
        if isinstance(failure, aiomqtt.MqttError | asyncio.CancelledError):
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    quiet_late_acknowledgements()


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


async def _demo(args: argparse.Namespace, stop: _Stop) -> int:
    import uvicorn

    from api.app import create_app
    from edge import EdgeSettings, HostedEdges
    from hub.settings import HubSettings
    from simulators.homes import make_home_configs
    from simulators.publish import broker_address, merge_by_time, publish

    with tempfile.TemporaryDirectory(prefix="eldercare-demo-") as workdir:
        folder = Path(workdir)
        # The hub's broker as deployed (accounts, ACLs); the homes' devices on a broker of
        # their own, as each home's are (anonymous on loopback, deploy/mosquitto/home.conf).
        broker = None if args.broker else start_broker(folder / "mosquitto")
        devices = None if args.broker else start_broker(folder / "devices", secured=False)
        try:
            # The tidy life: regular residents and sensors that work, so that what a newcomer
            # sees is the scripted incidents (eldercare eval scenarios runs the messy one).
            homes = make_home_configs(args.homes, args.seed, station=STATION, messy=False)
            hub_url = args.broker or broker.url
            settings = HubSettings(
                broker=hub_url,
                database=f"sqlite:///{folder / 'hub.db'}",
                prefix=PREFIX,
                client_id=f"eldercare-demo-hub-{args.port}",
                # The demo runs on plain http://127.0.0.1 with the password "demo" for all:
                # a browser would drop a Secure cookie there, and "demo" is a weak password.
                cookie_secure=False,
                allow_weak_passwords=True,
            )
            floor = resident_configs(args.seed)  # the institution's beds
            start, streams = _simulate(homes, args)
            # The seeded past is over before the simulated day begins.
            _register(settings.database, homes, floor, before=start.timestamp())
            streams += floor_streams(floor, start, args.days, args.seed, prefix=PREFIX,
                                     zigbee_base=ZIGBEE_BASE)  # fmt: skip
            seed_care(settings.database, homes, STATION, start.timestamp())  # visits, orders
            now = SimulatedClock(start, args.speed)
            # The pages count "3 min ago" and "today" on the homes' clock, not the wall's.
            app = create_app(settings, clock=now, clock_rate=now.rate, simulated=True)
            server = uvicorn.Server(
                uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
            )
            edges = HostedEdges(
                homes + floor,
                EdgeSettings(
                    local=args.broker or devices.url,
                    uplink=args.broker
                    or broker.hosted_url("demo", [h.home for h in homes + floor]),
                    data_dir=folder / "edges",
                    prefix=PREFIX,
                    zigbee_base=ZIGBEE_BASE,
                    process_id="demo",
                    clock=ACCELERATED_CLOCK,
                    now=now,
                    telemetry_every_s=2,
                    heartbeat_every_s=10,
                    tick_every_s=1,
                ),
            )
            async with asyncio.TaskGroup() as tasks:
                serving = tasks.create_task(server.serve(), name="web")
                while not server.started:
                    if serving.done():
                        return 2  # uvicorn said why
                    await asyncio.sleep(0.05)
                stop.serving = True
                hub = app.state.hub
                await hub.connected.wait()
                background = [
                    tasks.create_task(edges.run(), name="edges"),
                    tasks.create_task(_print_alerts(hub, now, homes[0].tz), name="terminal"),
                ]
                _introduce(homes, hub_url, args)
                simulation = tasks.create_task(
                    publish(
                        merge_by_time(streams),
                        broker_address(args.broker or devices.url),
                        clock=now,
                    ),
                    name="simulation",
                )
                stopped = tasks.create_task(stop.requested.wait(), name="stop")
                until_stopped = (serving, stopped)  # uvicorn ends serving on SIGINT, SIGTERM
                await asyncio.wait((simulation, *until_stopped), return_when=FIRST_COMPLETED)
                if simulation.done():
                    simulation.result()  # a failed simulation ends the demo, and says why
                    now.stop()
                    print("eldercare demo: the simulated days are over; the pages stay up.")
                    if args.exit_after_simulation:
                        await asyncio.sleep(3)  # the last events reach the hub
                    else:
                        await asyncio.wait(until_stopped, return_when=FIRST_COMPLETED)
                if server.should_exit:  # uvicorn was told to stop by a signal
                    stop.requested.set()
                _quiet_mqtt_cancellation(asyncio.get_running_loop())
                for task in (simulation, *background):
                    task.cancel()
                server.should_exit = True
                await serving
                stopped.cancel()
        finally:
            for started in (broker, devices):
                if started is not None:
                    started.stop()
    return 0


def _register(
    database: str, homes: list[HomeConfig], floor: list[HomeConfig], *, before: float
) -> None:
    from eldercare.demo_reports import seed_reports
    from hub.accounts import save_user
    from hub.registry import save_home, save_station
    from hub.store import Store

    store = Store(database)
    try:
        with store.transaction() as session:
            save_station(session, STATION, name=STATION_NAME, phone="0558-0000000")
            for home in homes:
                save_home(session, home, prefix=PREFIX)
            register_institution(session, prefix=PREFIX, password=PASSWORD, configs=floor)
            for username, name, role in ACCOUNTS:
                save_user(
                    session,
                    username,
                    name=name,
                    role=role,
                    password=PASSWORD,
                    stations=[STATION] if role != "family" else [],
                    residents=[homes[0].home] if role == "family" else [],
                )
            seed_reports(session, STATION, [h.home for h in homes], password=PASSWORD,
                         before=before)  # fmt: skip
    finally:
        store.close()


def _simulate(
    homes: list[HomeConfig], args: argparse.Namespace
) -> tuple[datetime, list[Iterator[DeviceMessage]]]:
    """Each home's messages from 06:00 on the last morning whose scripted incidents (06:25
    to 08:30) are all in the past: replayed fast, they are alerts within the first minute,
    and the homes then live on in real time (SimulatedClock)."""
    from simulators.payloads import encode_stream
    from simulators.simulation import simulate_home

    tz = homes[0].tz
    today = datetime.now(tz).date()
    day = today if datetime.now(tz).time() >= clock_time(9, 30) else today - timedelta(days=1)
    streams = []
    for index, home in enumerate(homes):
        midnight = datetime.combine(day, clock_time(0), tzinfo=home.tz)
        # Home i gets every len(homes)-th scripted incident.
        script = [
            plan
            for n, plan in enumerate(SCRIPT)
            if n % len(homes) == index and plan.day < args.days
        ]
        simulation = simulate_home(
            home, start=midnight, days=args.days, seed=args.seed, incidents=script, messy=False
        )
        morning = midnight + timedelta(hours=6)  # skip the quiet night before
        streams.append(
            encode_stream(
                (r for r in simulation.readings() if r.ts >= morning),
                home,
                prefix=PREFIX,
                zigbee_base=ZIGBEE_BASE.format(home=home.home),
            )
        )
    return datetime.combine(day, clock_time(6), tzinfo=tz), streams


class SimulatedClock:
    """The homes' clock: ``start`` now, running ``speed`` times as fast as the wall clock
    until it reaches the present, then in step with it (the homes live on in real time, so
    nothing the pages show is in the future and the hub never sees a reading from
    tomorrow), until :meth:`stop` (the simulation is over: time stands still, rather than
    every device of every home going silent and offline).

    >>> from datetime import UTC
    >>> clock = SimulatedClock(datetime.fromtimestamp(time.time() - 3600, UTC), 300)
    >>> 0 < clock.seconds_until(clock() + 300) <= 1.0  # five minutes of the past: a second
    True
    >>> 299 < clock.seconds_until(time.time() + 300) <= 300  # the future: in real time
    True
    """

    def __init__(self, start: datetime, speed: float):
        self._anchor, self._origin, self._speed = time.monotonic(), start.timestamp(), speed
        self._wall = time.time()
        self._stopped_at: float | None = None

    def __call__(self) -> float:
        if self._stopped_at is not None:
            return self._stopped_at
        elapsed = time.monotonic() - self._anchor
        return min(self._origin + elapsed * self._speed, self._wall + elapsed)

    def rate(self) -> float:
        """Simulated seconds a real second just now: the speed while catching up, then 1
        (0 once stopped)."""
        if self._stopped_at is not None:
            return 0.0
        elapsed = time.monotonic() - self._anchor
        return self._speed if self._origin + elapsed * self._speed < self._wall + elapsed else 1.0

    def seconds_until(self, ts: float) -> float:
        """Real seconds until the clock shows ``ts`` (0 if it already has)."""
        if self._stopped_at is not None:
            return 0.0
        # Both the accelerated clock and the wall clock must have reached ts.
        due = max((ts - self._origin) / self._speed, ts - self._wall)
        return max(0.0, due - (time.monotonic() - self._anchor))

    def at(self, wall: float) -> float:
        """The clock's time when the wall clock read ``wall`` (epoch seconds, since the
        clock started): what a change stamped with the wall clock happened at, on this one.

        >>> from datetime import UTC
        >>> clock = SimulatedClock(datetime.fromtimestamp(time.time() - 3600, UTC), 300)
        >>> abs(clock.at(time.time()) - clock()) < 5  # now, on both
        True
        """
        elapsed = wall - self._wall
        moment = min(self._origin + elapsed * self._speed, wall)
        return moment if self._stopped_at is None else min(moment, self._stopped_at)

    def stop(self) -> None:
        self._stopped_at = self()


def _introduce(homes: list[HomeConfig], url: str, args: argparse.Namespace) -> None:
    web = f"http://{args.host}:{args.port}"
    shown = BrokerUrl.parse(url)  # never the password
    print(f"eldercare demo: broker {shown}; {len(homes)} homes of station {STATION}")
    for home in homes:
        devices = ", ".join(f"{d.id} ({d.model or d.kind})" for d in home.devices)
        print(f"  {home.home} {home.resident.name} b.{home.resident.birth_year}: {devices}")
    print(
        f"\nOpen {web}/login and log in (password '{PASSWORD}' for all):\n"
        f"  dispatcher  the station's console: live alerts, acknowledge, resolve\n"
        f"  family      the family app of {homes[0].resident.name} ({homes[0].home})\n"
        f"  admin       the operator pages (stations, homes and devices, accounts), the console\n"
        f"  district    颍州区's stations, read-only, and their monthly reports ({web}/reports)\n"
        f"  city        阜阳市's, the same\n"
        f"{introduction(web)}"
        f"API docs: {web}/docs\n"
        f"Simulated time runs {args.speed:g}x from 06:00 until it reaches the present, then "
        f"in real time ({args.days:g} simulated days in all); Ctrl-C stops.\n"
    )


async def _print_alerts(hub, clock: SimulatedClock, tz: tzinfo) -> None:  # type: ignore[no-untyped-def]
    """Every alert change the hub publishes, as one terminal line, at the time it happened:
    a raised alert's when its condition began (as the pages' "发生于"), anything else's
    (acknowledged, resolved, ...) the demo's clock as the hub published the change."""
    async with hub.feed.subscribe() as feed:
        async for message in feed:
            if message.type != "alert":
                continue
            change, alert = message.payload["change"], message.payload["alert"]
            when = clock.at(message.at)  # the feed stamps its messages with the wall clock
            print(_alert_line(change, alert, message.payload["actor"], when, tz), flush=True)


def _alert_line(change: str, alert: dict[str, Any], actor: str, now: float, tz: tzinfo) -> str:
    """One terminal line of an alert change; ``now`` the demo's clock as it came.

    >>> from zoneinfo import ZoneInfo
    >>> alert = {"severity": "critical", "home": "h001", "resident_name": "杨国华",
    ...          "kind": "sos", "started": "2026-12-07T06:25:03+08:00"}
    >>> now = datetime(2026, 12, 7, 13, 35, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    >>> _alert_line("raised", alert, "edge:h001", now, ZoneInfo("Asia/Shanghai"))
    '06:25 !!! h001 杨国华: sos raised (critical) by edge:h001'
    >>> _alert_line("acknowledged", alert, "张丽", now, ZoneInfo("Asia/Shanghai"))
    '13:35 !!! h001 杨国华: sos acknowledged (critical) by 张丽'
    """
    mark = SEVERITY_MARK.get(alert["severity"], "   ")
    if change == "raised" and alert.get("started"):
        at = alert["started"][11:16]
    else:
        at = datetime.fromtimestamp(now, tz).strftime("%H:%M")
    return (
        f"{at} {mark} {alert['home']} {alert['resident_name']}: {alert['kind']} "
        f"{change} ({alert['severity']}) by {actor}"
    )


__all__ = ["add_arguments", "run"]
