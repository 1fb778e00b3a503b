"""Request bodies are read with the limits MQTT messages get (api/routing.py)."""

from __future__ import annotations

from fastapi.routing import APIRoute

from api.app import create_app
from api.routing import LimitedJsonRoute
from hub.settings import HubSettings
from tests.support.api_seed import seed
from tests.support.factories import DISPATCHER, served, settings_for


def test_every_route_reads_bodies_with_the_limits():
    app = create_app(HubSettings(database="sqlite:///:memory:"))
    plain = [
        route.path
        for route in app.routes
        if isinstance(route, APIRoute) and not isinstance(route, LimitedJsonRoute)
    ]
    assert not plain, f"routes without LimitedJsonRoute: {plain}"


async def test_a_lone_surrogate_is_replaced_and_deep_nesting_refused(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        seeded = await seed(hub, mosquitto)
        dispatcher = await hub.client_for(DISPATCHER)
        alert = seeded.alerts["h001"]
        headers = {"content-type": "application/json"}

        # What a browser cannot send but a script can: a half of a UTF-16 pair.
        body = '{"text": "已电话联系 \\udac7"}'
        answer = await dispatcher.post(f"/alerts/{alert}/comment", content=body, headers=headers)
        assert answer.status_code < 300, answer.text
        history = (await dispatcher.get(f"/alerts/{alert}")).json()["history"]
        assert any(c.get("detail", {}).get("text") == "已电话联系 ?" for c in history), history

        deep = '{"text": ' + "[" * 100 + "]" * 100 + "}"
        answer = await dispatcher.post(f"/alerts/{alert}/comment", content=deep, headers=headers)
        assert answer.status_code == 422 and "nested deeper than" in answer.text
