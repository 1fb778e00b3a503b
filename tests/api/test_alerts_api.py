"""Alerts through the API, on a real store and broker: what a family reads of an alert."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish


async def tried_both(dispatcher: httpx.AsyncClient) -> dict:
    """The alert as the dispatcher reads it, once its SMS to the son was sent and its page to
    the station has failed."""
    async with asyncio.timeout(20):
        while True:
            alerts = (await dispatcher.get("/alerts")).json()
            if alerts:
                seen = (await dispatcher.get(f"/alerts/{alerts[0]['id']}")).json()
                tried = {n["audience"]: n for n in seen["notifications"]}
                sent = tried.get("family", {}).get("state") == "sent"
                if sent and tried.get("station", {}).get("last_error"):
                    return seen
            await asyncio.sleep(0.05)


async def test_a_family_reads_what_was_sent_to_the_family_not_the_stations_pager(
    mosquitto, tmp_path, http_receiver
):
    pager = "json://127.0.0.1:9/station-pager/13912345678"  # nobody on port 9: it fails
    sms = {"sms": http_receiver.url("/sms/{phone}")}
    async with served(settings_for(mosquitto, tmp_path, contact_targets=sms)) as hub:
        await register(hub, notify=[pager])
        await publish(mosquitto, [event_message("fall", seq=1)])
        staff_view = await tried_both(await hub.client_for(DISPATCHER))
        assert {n["audience"] for n in staff_view["notifications"]} == {"station", "family"}

        family = await hub.client_for(FAMILY)
        theirs = (await family.get(f"/alerts/{staff_view['id']}")).json()
        assert [n["audience"] for n in theirs["notifications"]] == ["family"]
        assert theirs["delivered"] == {
            "family": {"sent": 1, "failed": 0, "pending": 0, "no_channel": False}
        }
        assert "station-pager" not in json.dumps(theirs)
