"""The live feed of an institution's caregiver: the alerts of her shift's rooms, no others."""

from __future__ import annotations

import asyncio
import contextlib
import json

import websockets

from tests.support.factories import event_message, served, settings_for
from tests.support.mqtt import publish
from tests.support.served_hub import cookie_of
from tests.support.ward_seed import CAREGIVER_A, CAREGIVER_B, NURSE, seed_ward


async def test_a_caregivers_socket_carries_her_rooms_alerts_only(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await seed_ward(hub)
        clients = {who: await hub.client_for(who) for who in (CAREGIVER_A, CAREGIVER_B, NURSE)}
        async with contextlib.AsyncExitStack() as stack:
            sockets = {
                who: await stack.enter_async_context(
                    websockets.connect(hub.ws_url, additional_headers=cookie_of(client))
                )
                for who, client in clients.items()
            }
            for ws in sockets.values():
                assert json.loads(await ws.recv())["type"] == "hello"
            await publish(mosquitto, [event_message("bed_exit", seq=1, home="r301a",
                                                    severity="major")])  # fmt: skip
            for who in (CAREGIVER_A, NURSE):  # room 301's caregiver, and the nurse station
                frame = json.loads(await asyncio.wait_for(sockets[who].recv(), 10))
                assert (frame["resident"], frame["data"]["alert"]["kind"]) == ("r301a", "bed_exit")
            with contextlib.suppress(TimeoutError):
                frame = await asyncio.wait_for(sockets[CAREGIVER_B].recv(), 1.0)
                raise AssertionError(f"room 302's caregiver saw room 301: {frame}")
