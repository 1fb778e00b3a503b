"""The live feed across hub workers (hub/feed_relay.py): an alert raised on one worker
reaches the consoles on every worker, even one too large for a NOTIFY (its message goes
through the ``feed_spill`` table). Two real workers on one PostgreSQL, a real Mosquitto."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from hub.feed_relay import MAX_PAYLOAD
from tests.support.factories import HOME, event_message, register
from tests.support.hub_process import AsAdmin, HubProcess
from tests.support.mqtt import publish
from tests.support.served_hub import cookie_of
from tests.support.shared_workers import workers
from tests.support.stores import query


def console_of(hub: HubProcess) -> Any:
    """A WebSocket to ``hub``'s live feed, as the admin it logged in as."""
    url = hub.url.replace("http://", "ws://") + "/ws"
    return websockets.connect(url, additional_headers=cookie_of(hub.http))


async def alert_seen(console: Any, kind: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await console.recv())
            alert = frame.get("data", {}).get("alert", {})
            if frame.get("type") == "alert" and alert.get("kind") == kind:
                return alert


async def test_an_alert_too_large_for_a_notify_reaches_the_console_on_the_other_worker(
    mosquitto, tmp_path
):
    # A fall detector's evidence with its raw radar frames: well over NOTIFY's 8,000 bytes.
    frames = [{"t": n / 20, "z": round(1.6 - n * 0.004, 3), "v": -0.8} for n in range(400)]
    evidence = {"source": "radar", "frames": frames}
    assert len(json.dumps(evidence)) > MAX_PAYLOAD
    async with workers(mosquitto, tmp_path, 2) as (database, hubs):
        await register(AsAdmin(hubs[0]), homes=(HOME,))
        async with console_of(hubs[0]) as first, console_of(hubs[1]) as second:
            await first.recv(), await second.recv()  # their hellos
            await publish(mosquitto, [event_message("fall", seq=1, evidence=evidence)])
            # Whichever worker took the event, each console sees the alert, evidence whole.
            seen = await asyncio.gather(alert_seen(first, "fall"), alert_seen(second, "fall"))
        assert [alert["evidence"] for alert in seen] == [evidence, evidence]
        relays = [(await hub.health())["feed_relay"] for hub in hubs]
        assert sum(relay["spilled"] for relay in relays) >= 1, relays
        assert sum(relay["received"] for relay in relays) >= 1, relays
        assert [relay["spill_missed"] for relay in relays] == [0, 0], relays
        spills = await asyncio.to_thread(query, database, "SELECT count(*) FROM feed_spill")
        assert spills[0][0] >= 1, "spilled through the table"
