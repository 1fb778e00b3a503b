"""The edge agent against two real Mosquittos: a home's local broker and the hub's uplink."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from edge.agent import EdgeAgent
from edge.outbox import Outbox
from eldercare.broker import Broker, start_broker
from eldercare.home import HomeConfig
from eldercare.reading import Reading
from simulators.payloads import encode

HOME = "h001"
PREFIX = "eldercare/v1"
EVENT = f"{PREFIX}/{HOME}/event"
TELEMETRY = f"{PREFIX}/{HOME}/telemetry"
STATUS = f"{PREFIX}/{HOME}/status"
CONFIG = f"{PREFIX}/{HOME}/config"
COMMAND = f"{PREFIX}/{HOME}/command"
LOCAL_COMMAND = f"{PREFIX}/{HOME}/local/command"
WAIT = 10.0  # seconds; every wait ends as soon as its condition holds


def config_dict(**changes: Any) -> dict[str, Any]:
    return {
        "home": HOME,
        "station": "st1",
        "timezone": "Asia/Shanghai",
        "resident": {"name": "王秀英", "birth_year": 1942, "lives_alone": True},
        "devices": [
            {
                "id": "radar_bath",
                "kind": "fall_radar",
                "role": "bathroom",
                "source": "zigbee2mqtt:radar1",
                "model": "MIR-HE200-TY",
            },
            {"id": "sos_bed", "kind": "sos_button", "role": "bedside", "source": "zigbee2mqtt:sos"},
            {"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"},
        ],
        **changes,
    }


HOME_CONFIG = HomeConfig.model_validate(config_dict())


def device_messages(device: str, metric: str, value: Any, rate_hz: float | None = None):
    reading = Reading(
        ts=datetime.now(UTC), home=HOME, device=device, metric=metric, value=value, rate_hz=rate_hz
    )
    return [(m.topic, m.payload) for m in encode([reading], HOME_CONFIG)]


async def publish(broker: Broker, messages: list[tuple[str, bytes | str]], **options) -> None:
    async with aiomqtt.Client(broker.host, broker.port) as client:
        for topic, payload in messages:
            await client.publish(topic, payload, qos=1, **options)


async def until(condition: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    async with asyncio.timeout(timeout):
        while not (result := condition()):
            await asyncio.sleep(0.02)
    return result


class Collector:
    """A hub stand-in on the uplink: a persistent session that survives broker restarts."""

    def __init__(self, broker: Broker, *topics: str):
        self.broker = broker
        self.topics = topics
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.subscribed = asyncio.Event()

    def of(self, topic: str) -> list[dict[str, Any]]:
        return [body for t, body in self.messages if t == topic]

    async def run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    self.broker.host, self.broker.port, identifier="hub-test", clean_session=False
                ) as client:
                    for topic in self.topics:
                        await client.subscribe(topic, qos=1)
                    self.subscribed.set()
                    async for message in client.messages:
                        body = json.loads(message.payload) if message.payload else {}
                        self.messages.append((str(message.topic), body))
            except aiomqtt.MqttError:
                await asyncio.sleep(0.05)


@pytest.fixture
def brokers(tmp_path: Path):
    local = start_broker(tmp_path / "local")
    uplink = start_broker(tmp_path / "uplink")
    try:
        yield local, uplink
    finally:
        local.stop()
        uplink.stop()


@contextlib.asynccontextmanager
async def running(task_factory) -> AsyncIterator[asyncio.Task]:
    task = asyncio.create_task(task_factory())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def make_agent(local: Broker, uplink: Broker, data: Path, **options) -> EdgeAgent:
    settings = {
        "telemetry_every_s": 0.3,
        "heartbeat_every_s": 0.5,
        "tick_every_s": 0.5,
        "reconnect_first_s": 0.1,
        "reconnect_max_s": 0.5,
        **options,
    }
    return EdgeAgent(
        HOME_CONFIG, local=local.url, uplink=uplink.url, data_dir=data, prefix=PREFIX, **settings
    )


async def started(agent: EdgeAgent) -> None:
    await until(lambda: agent.local_connected.is_set() and agent.uplink_connected.is_set())


def raised(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind and e["state"] == "raised"]


async def test_a_fall_on_the_local_side_reaches_the_uplink_as_an_event(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, EVENT, TELEMETRY, STATUS, LOCAL_COMMAND)
    agent = make_agent(local, uplink, tmp_path / "edge")
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(
            local,
            device_messages("band", "heart_rate", 72)
            + device_messages("band", "accel", [[0.0, 0.0, 1.0]] * 50, rate_hz=50)
            + device_messages("radar_bath", "fall_state", "fall"),
        )
        (fall,) = await until(lambda: raised(hub.of(EVENT), "fall"))
        assert fall["home"] == HOME and fall["severity"] == "critical"
        assert fall["device"] == "radar_bath" and fall["evidence"]["source"] == "radar"
        assert fall["edge"] == HOME and isinstance(fall["seq"], int)
        assert fall["ts"].endswith("+08:00")  # the home's local time

        # Telemetry: vitals go up in batches, raw accelerometer batches stay local.
        batches = await until(lambda: hub.of(TELEMETRY))
        readings = [r for batch in batches for r in batch["readings"]]
        assert {(r["device"], r["metric"]) for r in readings} >= {
            ("band", "heart_rate"),
            ("radar_bath", "fall_state"),
        }
        assert all(r["metric"] != "accel" for r in readings)
        assert all(batch["edge"] == HOME and batch["home"] == HOME for batch in batches)

        # The heartbeat says who is online and what the outbox holds.
        status = await until(lambda: [s for s in hub.of(STATUS) if s["state"] == "online"])
        assert status[-1]["home"] == HOME and "outbox" in status[-1]

        # A command from the hub goes on to the voice prompt on the local broker.
        async with aiomqtt.Client(local.host, local.port) as speaker:
            await speaker.subscribe(LOCAL_COMMAND, qos=1)
            await publish(uplink, [(COMMAND, json.dumps({"say": "help is coming"}))])
            async with asyncio.timeout(WAIT):
                message = await anext(aiter(speaker.messages))
            assert json.loads(message.payload) == {"say": "help is coming"}

    # Clean stop: the retained status says offline, the outbox is closed and kept.
    async with aiomqtt.Client(uplink.host, uplink.port) as watcher:
        await watcher.subscribe(STATUS, qos=1)
        async with asyncio.timeout(WAIT):
            message = await anext(aiter(watcher.messages))
        assert json.loads(message.payload)["state"] == "offline"
    with Outbox(tmp_path / "edge" / "outbox.db", HOME) as outbox:
        assert outbox.last_seq >= 2


async def test_an_sos_during_an_uplink_outage_arrives_after_reconnect_once(brokers, tmp_path):
    local, uplink = brokers
    # The hub's session must outlive the broker restart: turn on persistence for it.
    persistence = tmp_path / "uplink-persist"
    persistence.mkdir()
    uplink.config.write_text(
        uplink.config.read_text().replace(
            "persistence false", f"persistence true\npersistence_location {persistence}/"
        )
    )
    uplink.restart()
    hub = Collector(uplink, EVENT)
    agent = make_agent(local, uplink, tmp_path / "edge")
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(local, device_messages("radar_bath", "fall_state", "fall"))
        await until(lambda: raised(hub.of(EVENT), "fall"))

        uplink.stop()
        await until(lambda: not agent.uplink_connected.is_set())
        await publish(local, device_messages("sos_bed", "sos", True))
        await until(lambda: agent.outbox.depth().events >= 1)  # detected while offline
        assert not raised(hub.of(EVENT), "sos")

        uplink.restart()
        (sos,) = await until(lambda: raised(hub.of(EVENT), "sos"))
        assert sos["device"] == "sos_bed" and sos["edge"] == HOME
        await until(lambda: agent.outbox.depth().events == 0)
        await asyncio.sleep(0.3)  # room for a duplicate to show up, if there were one
        seqs = [event["seq"] for event in hub.of(EVENT)]
        assert len(seqs) == len(set(seqs)), seqs
        assert agent.uplink_connects >= 2


async def test_a_bad_pushed_config_is_refused_and_a_good_one_applied(brokers, tmp_path):
    local, uplink = brokers
    hub = Collector(uplink, STATUS)
    data = tmp_path / "edge"
    agent = make_agent(local, uplink, data, heartbeat_every_s=60)
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)

        bad = json.dumps(config_dict(timezone="Mars/Olympus_Mons"))
        await publish(uplink, [(CONFIG, bad)], retain=True)
        refused = await until(
            lambda: [s for s in hub.of(STATUS) if s["config"]["state"] == "refused"]
        )
        assert "Mars/Olympus_Mons" in refused[-1]["config"]["reason"]
        assert agent.config == HOME_CONFIG
        assert not (data / "config.json").exists()

        other_home = json.dumps(config_dict(home="h002"))
        await publish(uplink, [(CONFIG, other_home)], retain=True)
        await until(lambda: [s for s in hub.of(STATUS) if "h002" in s["config"].get("reason", "")])
        assert agent.config == HOME_CONFIG

        good = config_dict(night={"start": "23:00", "end": "06:30"})
        await publish(uplink, [(CONFIG, json.dumps(good))], retain=True)
        await until(lambda: [s for s in hub.of(STATUS) if s["config"]["state"] == "applied"])
        assert agent.config == HomeConfig.model_validate(good)
        assert agent.pipeline.monitor.config == agent.config

    # The last good config wins over the one given at start.
    assert HomeConfig.load(data / "config.json") == HomeConfig.model_validate(good)
    again = make_agent(local, uplink, data)
    try:
        assert again.config == HomeConfig.model_validate(good)
    finally:
        again.close()


async def test_malformed_payloads_are_counted_and_a_fall_after_them_still_arrives(
    brokers, tmp_path
):
    local, uplink = brokers
    hub = Collector(uplink, EVENT, STATUS)
    agent = make_agent(local, uplink, tmp_path / "edge")
    now = datetime.now(UTC).timestamp()
    burst = (
        [("zigbee2mqtt/radar1", b'{"fall_down_status": "fall", ')] * 20
        + [("zigbee2mqtt/nobody_knows_me", b'{"contact": true}')] * 20
        + [(f"{PREFIX}/{HOME}/dev/band/up", json.dumps({"ts": now, "heart_rate": 300}))] * 20
        + [(f"{PREFIX}/{HOME}/dev/ghost/up", b"\xff\xfe not even text")] * 5
    )
    async with running(hub.run), running(agent.run):
        await hub.subscribed.wait()
        await started(agent)
        await publish(local, burst + device_messages("radar_bath", "fall_state", "fall"))
        (fall,) = await until(lambda: raised(hub.of(EVENT), "fall"))
        assert fall["device"] == "radar_bath"
        refused = agent.pipeline.counts.refused
        assert refused["malformed_json"] == 20
        assert refused["unknown_device"] == 25
        assert refused["out_of_range"] == 20
        assert not raised(hub.of(EVENT), "abnormal_heart_rate")
        reported = await until(
            lambda: [s for s in hub.of(STATUS) if s.get("refused", {}).get("out_of_range") == 20]
        )
        assert reported[-1]["refused"]["malformed_json"] == 20


def edge_args(*argv: str):
    import argparse

    from edge import command

    parser = argparse.ArgumentParser(prog="eldercare edge")
    command.add_arguments(parser)
    return command, parser.parse_args(list(argv))


def test_the_command_refuses_a_bad_config_or_url_with_exit_2(tmp_path, capsys):
    config = tmp_path / "home.yaml"
    config.write_text(HOME_CONFIG.to_yaml(), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("home: h001\nstation: [oops\n", encoding="utf-8")
    data = str(tmp_path / "data")
    good_url = "mqtt://127.0.0.1:1"
    cases = [
        (str(broken), good_url, good_url, "broken.yaml"),
        (str(tmp_path / "missing.yaml"), good_url, good_url, "missing.yaml"),
        (str(config), "http://x", good_url, "http://x"),
        (str(config), good_url, "mqtt://host:notaport", "notaport"),
    ]
    for home, local, uplink, named in cases:
        command, args = edge_args(
            "--config", home, "--local", local, "--uplink", uplink, "--data", data
        )
        assert command.run(args) == 2
        error = capsys.readouterr().err
        assert error.startswith("eldercare edge: ") and named in error, error


async def test_sigterm_stops_the_edge_process_cleanly(brokers, tmp_path):
    import signal
    import sys

    local, uplink = brokers
    config = tmp_path / "home.yaml"
    config.write_text(HOME_CONFIG.to_yaml(), encoding="utf-8")
    script = (
        "import sys; from tests.test_edge_agent import edge_args; "
        "command, args = edge_args(*sys.argv[1:]); sys.exit(command.run(args))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *("--config", str(config), "--local", local.url, "--uplink", uplink.url),
        *("--data", str(tmp_path / "data")),
        cwd=Path(__file__).resolve().parent.parent,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiomqtt.Client(uplink.host, uplink.port) as watcher:
            await watcher.subscribe(STATUS, qos=1)
            async with asyncio.timeout(WAIT):
                async for message in watcher.messages:
                    if json.loads(message.payload)["state"] == "online":
                        break
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(WAIT):
                async for message in watcher.messages:
                    if json.loads(message.payload)["state"] == "offline":
                        break
        async with asyncio.timeout(WAIT):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
