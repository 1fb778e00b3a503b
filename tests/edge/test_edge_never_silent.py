"""Never silent: the real `eldercare edge` process, one home and hosted, against real
Mosquittos. Poison on the local broker, a bad retained config from the hub, a SIGKILL while
the uplink is down: the process stays up, refuses and counts what it cannot take, keeps its
last good config, and every alert and reading still reaches the uplink."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from contracts.home import HomeConfig
from simulators.payloads import encode
from tests.support import factories
from tests.support.edge_process import EdgeProcess, outbox_counts, running, write_config
from tests.support.factories import device
from tests.support.mqtt import Collector, publish, raised, until
from tests.support.poison import POISON, bad_configs, edge_home

PREFIX = "eldercare/v1"
HOMES = ("h001", "h002")
SLOW = 30.0  # seconds: a process start under load, a broker restart, a reconnect backoff


def topic(home: str, channel: str) -> str:
    return f"{PREFIX}/{home}/{channel}"


class Setup:
    """One home's edge (``hosted=False``) or a hosted process of two homes, on the brokers."""

    def __init__(self, tmp_path: Path, local, uplink, hosted: bool, *options: str):
        self.hosted = hosted
        self.local, self.uplink = local, uplink
        self.homes = HOMES if hosted else HOMES[:1]
        self.data = tmp_path / "edge" / "data"
        configs = tmp_path / "edge" / "homes"
        options = ("--status-every", "0.5", *options)
        if hosted:
            for home in self.homes:
                write_config(configs, edge_home(home))
            self.edge = EdgeProcess.hosted(configs, local, uplink, self.data, *options)
        else:
            config = write_config(configs, edge_home(self.homes[0]))
            self.edge = EdgeProcess.single(config, local, uplink, self.data, *options)
        self.hub = Collector(
            uplink,
            *(topic(home, channel) for home in self.homes for channel in ("event", "status")),
            *(topic(home, "telemetry") for home in self.homes),
        )

    def zigbee_base(self, home: str) -> str:
        return f"zigbee2mqtt/{home}" if self.hosted else "zigbee2mqtt"

    def device_topics(self, home: str) -> list[str]:
        base = self.zigbee_base(home)
        return [f"{base}/radar1", f"{base}/sos", topic(home, "dev/band/up")]

    def messages(
        self,
        home: str,
        device: str,
        metric: str,
        value: Any,
        ts: float | None = None,
        config: dict[str, Any] | None = None,
    ) -> list[tuple[str, bytes]]:
        """What ``device`` of ``home`` publishes for one reading (now, by default)."""
        moment = time.time() if ts is None else ts
        reading = factories.reading(moment, device, metric, value, home)
        home_config = HomeConfig.model_validate(config or edge_home(home))
        base = self.zigbee_base(home)
        return [(m.topic, m.payload) for m in encode([reading], home_config, zigbee_base=base)]

    def outbox(self, home: str) -> Path:
        return self.data / "outboxes.sqlite" if self.hosted else self.data / "outbox.db"

    def statuses(self, home: str) -> list[dict[str, Any]]:
        return self.hub.of(topic(home, "status"))

    def events(self, home: str) -> list[dict[str, Any]]:
        return self.hub.of(topic(home, "event"))

    def seen(self) -> dict[str, int]:
        return {home: len(self.statuses(home)) for home in self.homes}

    async def online(self, after: dict[str, int] | None = None) -> None:
        """Every home said online and listening on the local broker (after the statuses
        counted in ``after``)."""
        for home in self.homes:
            skip = (after or {}).get(home, 0)
            await until(
                lambda home=home, skip=skip: [
                    s
                    for s in self.statuses(home)[skip:]
                    if s["state"] == "online" and s["local_connected"]
                ],
                SLOW,
                f"{home} online",
            )


@pytest.fixture(params=[False, True], ids=["single", "hosted"])
def hosted(request) -> bool:
    return request.param


async def test_poison_on_the_local_broker_is_refused_and_an_sos_after_it_arrives(
    brokers, tmp_path, hosted
):
    local, uplink = brokers
    setup = Setup(tmp_path, local, uplink, hosted)
    with running(setup.edge) as edge:
        task = asyncio.create_task(setup.hub.run())
        try:
            await setup.online()
            poison = [
                (device_topic, payload)
                for home in setup.homes
                for device_topic in setup.device_topics(home)
                for payload in POISON.values()
            ]
            wrong_types = [
                (topic(home, "dev/band/up"), json.dumps({"ts": time.time(), "heart_rate": "fast"}))
                for home in setup.homes
            ]
            await publish(local, poison + wrong_types)
            await publish(local, setup.messages("h001", "sos_bed", "sos", True))
            if hosted:  # the other home of the process is as alive as the first
                await publish(local, setup.messages("h002", "radar_bath", "fall_state", "fall"))

            (sos,) = await until(lambda: raised(setup.events("h001"), "sos"), SLOW, "the SOS")
            assert sos["device"] == "sos_bed" and sos["severity"] == "critical"
            if hosted:
                await until(lambda: raised(setup.events("h002"), "fall"), SLOW, "h002's fall")
            assert edge.alive, edge.log()

            per_home = len(POISON) * len(setup.device_topics("h001"))

            def counted(home: str) -> dict[str, Any] | None:
                for status in reversed(setup.statuses(home)):
                    if status.get("counts", {}).get("messages", 0) >= per_home + 2:
                        return status
                return None

            for home in setup.homes:
                status = await until(lambda home=home: counted(home), SLOW, f"{home}'s counts")
                refused = status["refused"]
                # Deep nesting (twice), 400 digits, invalid UTF-8, empty and truncated
                assert refused["malformed_json"] == 6 * len(setup.device_topics(home))
                assert refused["oversized"] == len(setup.device_topics(home))
                assert refused["wrong_type"] >= 1 + len(setup.device_topics(home))
                assert status["counts"]["internal_errors"] == 0
                assert status["counts"]["detector_errors"] == 0
            assert edge.errors() == [], edge.log()
        finally:
            task.cancel()


async def test_a_bad_retained_config_is_refused_across_restarts_and_the_last_good_kept(
    brokers, tmp_path, hosted
):
    local, uplink = brokers
    setup = Setup(tmp_path, local, uplink, hosted)
    home = "h001"
    hall = device("sos_hall", "sos_button", "front_door", "zigbee2mqtt:sos2", "TS0215A_sos")
    good = edge_home(home, devices=[*edge_home(home)["devices"], hall])
    task = asyncio.create_task(setup.hub.run())
    try:
        with running(setup.edge) as edge:
            await setup.online()
            await publish(uplink, [(topic(home, "config"), json.dumps(good))], retain=True)
            await until(
                lambda: [s for s in setup.statuses(home) if s["config"]["state"] == "applied"],
                SLOW,
                "the good config applied",
            )
            bad = bad_configs(home)
            for number, (name, payload) in enumerate(bad.items(), 1):
                await publish(uplink, [(topic(home, "config"), payload)], retain=True)

                def refused(number=number) -> list[dict[str, Any]]:
                    return [
                        s
                        for s in setup.statuses(home)
                        if s.get("config", {}).get("state") == "refused"
                        and s["config"].get("refused") == number
                    ]

                status = (await until(refused, SLOW, f"the {name} config refused"))[-1]
                assert status["config"]["reason"], name
                assert edge.alive, (name, edge.log())
            # The last one ("thresholds the detectors refuse") stays retained on the broker.

        # Restarts, clean and killed: the retained bad config comes again at each connect.
        for stop in ("kill", "terminate"):
            seen = setup.seen()
            with running(setup.edge) as edge:
                await setup.online(after=seen)
                again = await until(
                    lambda seen=seen: [
                        s
                        for s in setup.statuses(home)[seen[home] :]
                        if s.get("config", {}).get("state") == "refused"
                    ],
                    SLOW,
                    "the retained bad config refused after a restart",
                )
                assert "sos" in again[-1]["config"]["reason"]
                # The last good config is in force: its extra button raises an SOS.
                before = len(setup.events(home))
                await publish(local, setup.messages(home, "sos_hall", "sos", True, config=good))
                (sos,) = await until(
                    lambda before=before: raised(setup.events(home)[before:], "sos"),
                    SLOW,
                    "the SOS of the button only the last good config has",
                )
                assert sos["device"] == "sos_hall"
                assert edge.alive, edge.log()
                if stop == "kill":
                    edge.kill()
        assert edge.starts == 3
        assert edge.errors() == [], edge.log()
    finally:
        task.cancel()


async def test_readings_survive_a_sigkill_while_the_uplink_is_down(brokers, tmp_path, hosted):
    local, uplink = brokers
    # Telemetry goes up once a minute (the default); readings must be on disk within a second.
    setup = Setup(tmp_path, local, uplink, hosted)
    readings_per_home, presses_per_home = 400, 100
    task = asyncio.create_task(setup.hub.run())
    try:
        with running(setup.edge) as edge:
            await setup.online()
            await asyncio.to_thread(uplink.stop)
            start = time.time() - readings_per_home
            traffic = []
            for home in setup.homes:
                for i in range(readings_per_home):
                    traffic += setup.messages(home, "band", "heart_rate", 60 + i % 30, start + i)
                for _ in range(presses_per_home):
                    traffic += setup.messages(home, "sos_bed", "sos", True)
            await publish(local, traffic)

            # Every reading (and SOS press) is in the outbox, staged or sealed, well before
            # the minute of the telemetry interval: then the edge is killed.
            for home in setup.homes:
                await until(
                    lambda home=home: (
                        (counts := outbox_counts(setup.outbox(home), home)).get("readings", 0)
                        >= readings_per_home + presses_per_home
                        and counts.get("event", 0) >= presses_per_home
                    ),
                    15,
                    f"{home}'s readings and events on disk",
                )
            edge.kill()

        await asyncio.to_thread(uplink.restart)
        with running(setup.edge) as edge:
            for home in setup.homes:

                def delivered(home=home) -> bool:
                    readings = heart_rates(setup.hub.of(topic(home, "telemetry")))
                    return len(readings) == readings_per_home

                await until(delivered, SLOW, f"{home}'s readings at the hub")
                presses = {e["seq"] for e in setup.events(home) if e["kind"] == "sos"}
                assert len(presses) == presses_per_home
            assert edge.alive
    finally:
        task.cancel()


def heart_rates(batches: list[dict[str, Any]]) -> set[tuple[str, float]]:
    """Distinct heart-rate readings in telemetry batches (a batch sent twice counts once)."""
    return {
        (r["ts"], r["value"])
        for batch in {(b["edge"], b["seq"]): b for b in batches}.values()
        for r in batch["readings"]
        if r["metric"] == "heart_rate"
    }
