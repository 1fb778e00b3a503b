"""`eldercare edge --hosted` with a care-home floor: twenty bed configs in one process,
against real Mosquittos; a bed's call and a high-risk resident's bed exit reach the hub on
their own bed's topics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from contracts.home import HomeConfig
from simulators.floor import make_floor_configs
from simulators.payloads import encode
from tests.support import factories
from tests.support.edge_process import EdgeProcess, running, write_config
from tests.support.mqtt import Collector, publish, raised, until

PREFIX = "eldercare/v1"
SLOW = 60.0  # twenty homes' outboxes and sessions to open, under load
# The bed under test watches bed exits all day, so the test does not depend on the hour.
ALL_DAY = {"start": "00:00:00", "end": "23:59:59"}


def topic(home: str, channel: str) -> str:
    return f"{PREFIX}/{home}/{channel}"


def messages(config: HomeConfig, device: str, metric: str, value: Any) -> list[tuple[str, bytes]]:
    reading = factories.reading(time.time(), device, metric, value, config.home)
    base = f"zigbee2mqtt/{config.home}"
    return [
        (m.topic, m.payload) for m in encode([reading], config, prefix=PREFIX, zigbee_base=base)
    ]


async def test_twenty_beds_in_one_hosted_process(brokers, tmp_path):
    local, uplink = brokers
    floor = make_floor_configs(20, seed=1)
    high = next(c for c in floor if c.resident.fall_risk == "high")
    caller = next(c for c in floor if c.home != high.home)
    folder = tmp_path / "edge" / "homes"
    for config in floor:
        document = config.model_dump(mode="json")
        if config.home == high.home:
            document["night"] = ALL_DAY
        write_config(folder, document)
    watched = HomeConfig.model_validate({**high.model_dump(mode="json"), "night": ALL_DAY})
    homes = [c.home for c in floor]
    edge = EdgeProcess.hosted(folder, local, uplink, tmp_path / "edge" / "data",
                              "--status-every", "0.5")  # fmt: skip
    hub = Collector(uplink, *(topic(h, ch) for h in homes for ch in ("event", "status")))
    with running(edge):
        task = asyncio.create_task(hub.run())
        try:
            for home in homes:
                await until(
                    lambda home=home: [s for s in hub.of(topic(home, "status"))
                                       if s["state"] == "online" and s["local_connected"]],
                    SLOW, f"{home} online",
                )  # fmt: skip
            await publish(local, messages(watched, "bed_sensor", "presence", True))
            await asyncio.sleep(1.5)  # in bed for a moment, then up
            await publish(local, messages(watched, "bed_sensor", "presence", False))
            await publish(local, messages(caller, "call_bed", "sos", True))

            exits = await until(lambda: raised(hub.of(topic(high.home, "event")), "bed_exit"),
                                SLOW, "the bed exit")  # fmt: skip
            assert exits[0]["severity"] == "critical" and exits[0]["evidence"]["room"]
            (call,) = await until(lambda: raised(hub.of(topic(caller.home, "event")), "call"),
                                  SLOW, "the call")  # fmt: skip
            assert call["severity"] == "major" and call["device"] == "call_bed"
            # Nothing for the others: a call is no SOS, and each bed alerts on its own topic.
            for home in homes:
                events = hub.of(topic(home, "event"))
                assert not raised(events, "sos")
                if home != high.home:
                    assert not raised(events, "bed_exit")
            assert edge.alive, edge.log()
            assert edge.errors() == [], edge.errors()
        finally:
            task.cancel()
