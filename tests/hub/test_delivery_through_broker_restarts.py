"""600 SOS presses through a real edge to a real hub while the hub's broker restarts three
times: every press is stored by the hub, none twice.

The edge forgets an event once the hub's broker acknowledges it; the broker's queue for the
hub's persistent session is then the only copy until the hub has stored it. That holds only
with a broker that keeps that queue across a restart: the hub broker of a deployment
(``deploy/mosquitto/hub.conf``, which this test runs). ``ELDERCARE_HUB_BROKER_CONFIG=FILE``
runs the test against another config, e.g. one with ``persistence false``, to see what it
costs (the test then fails, saying how many presses were lost).

Here with the hub: the copy that must survive is in the hub's broker and the hub's
persistent session, and the hub is what stores each press once.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import aiomqtt

from contracts.home import HomeConfig
from eldercare.broker import start_broker
from simulators.payloads import encode
from tests.support.edge_process import EdgeProcess, running, write_config
from tests.support.factories import (
    HOME,
    PREFIX,
    deploy_broker,
    home_config,
    reading,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import until
from tests.support.stores import query

PRESSES = 600
RESTARTS = (150, 300, 450)  # the hub's broker restarts after this many presses
PRESS_EVERY_S = 0.02


def stored(database: str) -> tuple[int, int, int]:
    """SOS events the hub stored (rows, distinct seqs) and its SOS alerts."""
    ((rows, seqs),) = query(
        database,
        "SELECT COUNT(*), COUNT(DISTINCT seq) FROM events WHERE home_id = :home AND kind = 'sos'",
        home=HOME,
    )
    ((alerts,),) = query(
        database, "SELECT COUNT(*) FROM alerts WHERE home_id = :home AND kind = 'sos'", home=HOME
    )
    return rows, seqs, alerts


async def online(uplink) -> None:
    """The edge says it is online and listening on the local broker (the uplink may come
    first; a press before the first local session subscribed would be nobody's)."""
    async with aiomqtt.Client(uplink.host, uplink.port) as watcher:
        await watcher.subscribe(f"{PREFIX}/{HOME}/status", qos=1)
        async with asyncio.timeout(30):
            async for message in watcher.messages:
                status = json.loads(message.payload)
                if status["state"] == "online" and status["local_connected"]:
                    return


async def test_600_sos_presses_survive_three_restarts_of_the_hubs_broker(tmp_path):
    local = start_broker(tmp_path / "local")
    other = os.environ.get("ELDERCARE_HUB_BROKER_CONFIG")
    uplink = deploy_broker("hub", tmp_path / "uplink", Path(other) if other else None)
    config = home_config()
    press = encode(
        [reading(time.time(), "sos_bed", "sos", True)],
        HomeConfig.model_validate(config),
    )[0]
    edge = EdgeProcess.single(
        write_config(tmp_path / "edge", config), local, uplink, tmp_path / "edge" / "data"
    )
    try:
        settings = settings_for(uplink, tmp_path)
        async with served(settings) as hub:
            await register(hub)
            with running(edge):
                await online(uplink)  # no press goes unheard
                async with aiomqtt.Client(local.host, local.port) as device:
                    for number in range(1, PRESSES + 1):
                        await device.publish(press.topic, press.payload, qos=1)
                        if number in RESTARTS:
                            await asyncio.to_thread(uplink.restart)
                        await asyncio.sleep(PRESS_EVERY_S)

                database = settings.database
                try:
                    await until(lambda: stored(database)[1] >= PRESSES, 120, "every press stored")
                except TimeoutError:
                    rows, seqs, _ = stored(database)
                    raise AssertionError(f"{PRESSES - seqs} of {PRESSES} presses lost") from None
                await asyncio.sleep(1)  # room for a duplicate to show up, if there were one
                rows, seqs, alerts = stored(database)
                assert (rows, seqs) == (PRESSES, PRESSES)
                assert alerts == 1  # one call for help: the presses update it
                assert edge.alive and edge.errors() == [], edge.log()
                assert "error" not in uplink.log.read_text().lower(), uplink.log.read_text()
    finally:
        local.stop()
        uplink.stop()
