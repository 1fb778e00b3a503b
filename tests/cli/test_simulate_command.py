"""eldercare simulate: files, publishing to a real Mosquitto, and user mistakes.

The key test publishes two simulated homes to the broker and decodes every message with
devices.decode, as an edge would: the readings that come out must be the simulation's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomqtt
import pytest

from contracts.home import HomeConfig
from contracts.reading import Reading, read_jsonl
from devices import ClockLimits, PayloadError, decode, definition
from eldercare import simulate as command
from eldercare.broker import free_port
from simulators.errors import SimulatorError
from simulators.payloads import encode_stream
from simulators.publish import broker_address, merge_by_time, publish
from tests.support import factories
from transport.broker_url import BrokerUrl

START = datetime(2026, 11, 1, tzinfo=UTC)


def _home(home_id: str) -> HomeConfig:
    devices = [
        factories.device("front_door", "door", "front_door", "zigbee2mqtt:entrance", "MCCGQ11LM"),
        factories.device("radar", "fall_radar", "bathroom", "zigbee2mqtt:radar1"),
        factories.BAND,
    ]
    return factories.make_home(home_id, devices=devices)


def _readings(home: str, minutes: int) -> list[Reading]:
    readings = []
    for minute in range(minutes):
        ts = START + timedelta(minutes=minute, milliseconds=137 * minute)
        readings += [
            factories.reading(ts, "band", "heart_rate", 60 + minute % 9, home),
            factories.reading(ts, "band", "steps", minute * 7, home),
            factories.reading(ts + timedelta(seconds=20), "front_door", "contact",
                              "open" if minute % 2 else "closed", home),
            factories.reading(ts + timedelta(seconds=40), "radar", "presence", minute % 3 == 0,
                              home),
        ]  # fmt: skip
    return readings


def _key(reading: Reading) -> tuple[Any, ...]:
    return (
        reading.home,
        reading.ts,
        reading.device,
        reading.metric,
        reading.value,
        reading.rate_hz,
    )


class Edge:
    """Subscribes like the edges of several homes sharing a broker, and decodes."""

    def __init__(self, homes: Sequence[HomeConfig], zigbee_base: str = "zigbee2mqtt/{home}"):
        self.homes = {home.home: home for home in homes}
        self.zigbee_base = zigbee_base
        self.readings: list[Reading] = []
        self.problems: Counter[str] = Counter()
        self.messages = 0

    def take(self, topic: str, payload: bytes) -> None:
        self.messages += 1
        levels = topic.split("/")
        home_id = levels[1] if levels[0] == "zigbee2mqtt" else levels[2]
        home = self.homes[home_id]
        try:
            decoded = decode(
                topic,
                payload,
                home,
                received_at=datetime.now(UTC),
                zigbee_base=self.zigbee_base.format(home=home_id),
                # Accelerated time: the devices' clocks are weeks ahead of the wall clock.
                clock=ClockLimits.unbounded(),
            )
        except PayloadError as error:
            self.problems[error.problem] += 1
            return
        self.problems.update(error.problem for error in decoded.rejected)
        self.readings.extend(decoded.readings)

    async def listen(
        self, client: aiomqtt.Client, until: float, expected: int | None = None
    ) -> None:
        """Take messages until none came for ``until`` seconds, or ``expected`` have come
        (on a loaded machine a pause is no proof the broker has delivered them all)."""
        while expected is None or self.messages < expected:
            try:
                message = await asyncio.wait_for(anext(aiter(client.messages)), until)
            except TimeoutError:
                return
            self.take(str(message.topic), bytes(message.payload))


async def _subscribed(broker) -> aiomqtt.Client:
    client = aiomqtt.Client(**broker.client_kwargs())
    await client.__aenter__()
    await client.subscribe("zigbee2mqtt/#", qos=1)
    await client.subscribe("eldercare/v1/+/dev/+/up", qos=1)
    return client


async def test_published_messages_decode_to_the_readings_they_were_made_from(mosquitto):
    homes = [_home("h001"), _home("h002")]
    readings = {home.home: _readings(home.home, 60) for home in homes}
    streams = [
        encode_stream(readings[h.home], h, zigbee_base=f"zigbee2mqtt/{h.home}") for h in homes
    ]
    edge = Edge(homes)
    client = await _subscribed(mosquitto)
    try:
        report = await publish(merge_by_time(streams), mosquitto.devices_url, speed=0)
        await edge.listen(client, until=10, expected=report.messages)
    finally:
        await client.__aexit__(None, None, None)

    assert edge.messages == report.messages
    assert edge.problems == Counter()
    expected = [r for rs in readings.values() for r in rs]
    assert Counter(map(_key, edge.readings)) == Counter(map(_key, expected))


async def test_publish_paces_messages_in_accelerated_time(mosquitto):
    home = _home("h001")
    # Five minutes of readings at 600x: half a second of real time.
    messages = list(encode_stream(_readings("h001", 5), home))
    started = time.monotonic()
    report = await publish(messages, mosquitto.devices_url, speed=600)
    elapsed = time.monotonic() - started
    span = (messages[-1].ts - messages[0].ts).total_seconds() / 600
    assert span <= elapsed < span + 1.0
    assert report.messages == len(messages)


async def test_publishing_to_a_broker_that_is_not_there_is_a_simulator_error():
    url = f"mqtt://127.0.0.1:{free_port()}"
    with pytest.raises(SimulatorError, match=f"MQTT broker {url}"):
        await publish(encode_stream(_readings("h001", 1), _home("h001")), url)


async def test_a_broker_going_away_mid_run_is_a_simulator_error_not_a_hang(mosquitto):
    # Ten hours at 600x would take a minute; the broker stops after half a second.
    messages = encode_stream(_readings("h001", 600), _home("h001"))
    asyncio.get_running_loop().call_later(0.5, mosquitto.stop)
    started = time.monotonic()
    with pytest.raises(SimulatorError, match=r"after \d+ messages"):
        await publish(messages, mosquitto.devices_url, speed=600)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(
    "url",
    ["localhost:1883", "http://localhost", "mqtt://", "mqtt://host:notaport", "mqtt://h/x"],
)
def test_a_bad_broker_url_is_a_simulator_error(url):
    with pytest.raises(SimulatorError, match="bad broker URL"):
        broker_address(url)


def test_broker_urls_are_read_with_defaults_and_credentials():
    assert broker_address("mqtt://broker") == BrokerUrl("broker", 1883)
    assert broker_address("mqtts://u:p%40ss@broker:9000") == BrokerUrl(
        "broker", 9000, tls=True, username="u", password="p@ss"
    )


# -- the command -------------------------------------------------------------------------


def _parse(argv: Iterable[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="eldercare simulate")
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    "argv",
    [
        [],  # neither --out nor --broker
        ["--out", "x", "--broker", "mqtt://h"],
        ["--out", "x", "--homes", "0"],
        ["--out", "x", "--days", "-1"],
        ["--out", "x", "--start", "2026-13-01"],
        ["--out", "x", "--incidents", "some"],
        ["--out", "x", "--life", "chaotic"],
        ["--broker", "mqtt://h", "--speed", "fast"],
        ["--broker", "mqtt://h", "--faults", "1.5"],
        ["--broker", "mqtt://h", "--prefix", "a/#"],
    ],
)
def test_usage_mistakes_exit_2_with_a_message(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        _parse(argv)
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_defaults():
    args = _parse(["--out", "x"])
    assert (args.homes, args.days, args.seed, args.incidents) == (3, 7.0, 1, "default")
    assert args.life == "messy"
    assert args.start.isoformat() == "2026-11-01"
    args = _parse(["--broker", "mqtt://h", "--speed", "max"])
    assert (args.speed, args.faults, args.prefix) == (0.0, 0.0, "eldercare/v1")


def _run_fails(argv: list[str], capsys) -> str:
    assert command.run(_parse(argv)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_bad_url_or_a_missing_broker_exits_2_without_a_traceback(capsys):
    assert "bad broker URL" in _run_fails(["--broker", "localhost:1883"], capsys)
    missing = f"mqtt://127.0.0.1:{free_port()}"
    assert f"MQTT broker {missing}" in _run_fails(["--broker", missing, "--days", "0.01"], capsys)


def test_homes_sharing_a_broker_need_their_own_zigbee2mqtt_base(capsys):
    argv = ["--broker", "mqtt://h", "--homes", "2", "--zigbee-base", "zigbee2mqtt"]
    assert "{home}" in _run_fails(argv, capsys)


def test_an_unwritable_folder_exits_2_without_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    err = _run_fails(["--out", str(blocker / "run"), "--homes", "1", "--days", "0.01"], capsys)
    assert "cannot write" in err


# -- end to end with the resident simulation ---------------------------------------------


def _simulation_readings(homes: int, days: float, seed: int) -> list[Reading]:
    args = _parse(["--out", "unused", "--homes", str(homes), "--days", str(days),
                   "--seed", str(seed)])  # fmt: skip
    return [r for _, simulation in command._simulations(args) for r in simulation.readings()]


def test_simulate_out_writes_the_run_deterministically(tmp_path, capsys):
    argv = ["--homes", "2", "--days", "1", "--seed", "5"]
    for folder in ("a", "b"):
        assert command.run(_parse([*argv, "--out", str(tmp_path / folder)])) == 0
    assert "2 homes" in capsys.readouterr().err

    run = json.loads((tmp_path / "a" / "run.json").read_text())
    assert run["seed"] == 5 and run["days"] == 1 and run["start"] == "2026-11-01"
    homes = run["homes"]
    assert len(homes) == 2
    for home in homes:
        config = HomeConfig.load(tmp_path / "a" / "homes" / f"{home}.yaml")
        assert config.home == home
        readings = tmp_path / "a" / "readings" / f"{home}.jsonl"
        assert readings.read_bytes() == (tmp_path / "b" / "readings" / f"{home}.jsonl").read_bytes()
        parsed = list(read_jsonl(readings))
        assert len(parsed) == run["counts"]["readings_per_home"][home] > 0
        assert [r.ts for r in parsed] == sorted(r.ts for r in parsed), "event-time order"
        assert {r.home for r in parsed} == {home}
    truth = (tmp_path / "a" / "ground_truth.jsonl").read_text().splitlines()
    assert len(truth) == run["counts"]["incidents"]
    assert all(isinstance(json.loads(line), dict) for line in truth)
    assert (tmp_path / "a" / "ground_truth.jsonl").read_bytes() == (
        tmp_path / "b" / "ground_truth.jsonl"
    ).read_bytes()


def test_life_chooses_the_messy_or_the_tidy_residents_and_homes():
    def simulated(life: str) -> list:
        args = _parse(["--out", "unused", "--homes", "10", "--days", "2", "--life", life])
        return command._simulations(args)

    messy, tidy = simulated("messy"), simulated("tidy")
    assert [h.home for h, _ in messy] == [h.home for h, _ in tidy]
    # Tidy: every home has a front-door sensor and every resident is in bed before midnight.
    assert all(home.device("front_door") for home, _ in tidy)
    assert all(sim.profile.bedtime_mean < 24 * 3600 for _, sim in tidy)
    # Messy (simulators/life.py): some homes without one, some residents up past midnight.
    assert not all(home.device("front_door") for home, _ in messy)
    assert any(sim.profile.bedtime_mean >= 24 * 3600 for _, sim in messy)


async def test_simulate_publish_round_trip_gives_the_simulations_own_readings(mosquitto):
    from simulators.homes import make_home_configs

    argv = ["--homes", "2", "--days", "0.05", "--seed", "3", "--broker", mosquitto.devices_url,
            "--speed", "max"]  # fmt: skip
    args = _parse(argv)
    edge = Edge(make_home_configs(2, 3))
    client = await _subscribed(mosquitto)
    try:
        assert await asyncio.to_thread(command.run, args) == 0
        await edge.listen(client, until=2)  # a pause under load is no end
    finally:
        await client.__aexit__(None, None, None)

    expected = _simulation_readings(2, 0.05, 3)
    assert expected, "an hour of two homes has readings"
    assert edge.problems == Counter()
    _assert_decoded_as_simulated(edge.readings, expected, edge.homes)


def _assert_decoded_as_simulated(
    decoded: list[Reading], simulated: list[Reading], homes: dict[str, HomeConfig]
) -> None:
    """Every simulated reading arrives; nothing else does, but for one case: a model whose
    one payload key carries several metrics (OWON FDS315 ``status``) states them all in
    each message, and those extra readings must repeat the device's last simulated value."""
    got, want = Counter(map(_key, decoded)), Counter(map(_key, simulated))
    assert want - got == Counter(), "simulated readings lost on the way"
    history: dict[tuple[str, str, str], list[Reading]] = {}
    for reading in simulated:
        history.setdefault((reading.home, reading.device, reading.metric), []).append(reading)
    for home, ts, device, metric, value, _ in got - want:
        config = homes[home].device(device)
        assert config is not None and config.model is not None
        shared = Counter(e.property for e in definition(config.model).exposes)
        assert max(shared.values()) > 1, f"invented reading {device} {metric}={value} at {ts}"
        before = [r for r in history.get((home, device, metric), []) if r.ts < ts]
        assert not before or before[-1].value == value, (device, metric, value, ts)
