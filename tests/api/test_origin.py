"""Writes with the session cookie from another site's page are refused (Origin, else
Referer); the WebSocket refuses a foreign Origin; the session cookie's flags."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.support.factories import (
    ADMIN_PASSWORD,
    DISPATCHER,
    PASSWORD,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish
from tests.support.served_hub import cookie_of


async def an_alert(hub, mosquitto) -> int:
    await publish(mosquitto, [event_message("sos", seq=1)])
    for _ in range(100):
        alerts = (await hub.http.get("/alerts")).json()
        if alerts:
            return alerts[0]["id"]
        await asyncio.sleep(0.05)  # a moment for ingest
    raise AssertionError("no alert")


async def acknowledged(hub, alert_id: int) -> bool:
    return (await hub.http.get(f"/alerts/{alert_id}")).json()["acknowledged"]


async def test_a_cookie_write_from_another_sites_page_is_refused(mosquitto, tmp_path):
    public = {"public_origins": ["https://care.example.org"]}
    async with served(settings_for(mosquitto, tmp_path, **public)) as hub:
        await register(hub)
        alert_id = await an_alert(hub, mosquitto)
        dispatcher = await hub.client_for(DISPATCHER)
        url = f"/alerts/{alert_id}/acknowledge"
        for foreign in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},  # a sandboxed frame or a data: page
            {"Referer": "https://evil.example/page.html"},  # a browser that sends no Origin
            {"Origin": hub.url.replace("127.0.0.1", "localhost")},  # another host name
        ):
            refused = await dispatcher.post(url, headers=foreign)
            assert refused.status_code == 403, foreign
            assert "Origin check" in refused.json()["detail"]
            assert not await acknowledged(hub, alert_id)
        # The hub's own page, a configured public origin: allowed.
        own = await dispatcher.post(url, headers={"Origin": hub.url})
        assert own.status_code == 200 and await acknowledged(hub, alert_id)
        again = await dispatcher.post(
            f"/alerts/{alert_id}/comment",
            json={"text": "已上门"},
            headers={"Origin": "https://care.example.org"},
        )
        assert again.status_code == 200


async def test_a_bearer_token_is_no_cookie_and_passes_with_any_origin(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        alert_id = await an_alert(hub, mosquitto)
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as app:
            login = {"username": DISPATCHER, "password": PASSWORD}
            token = (await app.post("/auth/login", json=login)).json()["token"]
            app.cookies.clear()
            answer = await app.post(
                f"/alerts/{alert_id}/acknowledge",
                headers={"Authorization": f"Bearer {token}", "Origin": "https://evil.example"},
            )
            assert answer.status_code == 200


async def test_log_in_from_another_sites_page_is_refused(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
            login = {"username": DISPATCHER, "password": PASSWORD}
            forced = await http.post(
                "/auth/login", json=login, headers={"Origin": "https://evil.example"}
            )
            assert forced.status_code == 403 and "eldercare_session" not in forced.cookies


async def test_the_websocket_refuses_a_foreign_origin(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(
                hub.ws_url, additional_headers=cookie_of(dispatcher), origin="https://evil.example"
            ) as ws:
                await ws.recv()
        assert refused.value.response.status_code == 403
        async with websockets.connect(
            hub.ws_url, additional_headers=cookie_of(dispatcher), origin=hub.url
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"


@pytest.mark.parametrize("secure", [True, False])
async def test_the_session_cookie_is_httponly_samesite_and_secure_unless_turned_off(
    mosquitto, tmp_path, secure
):
    async with served(settings_for(mosquitto, tmp_path, cookie_secure=secure)) as hub:
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
            login = {"username": "admin", "password": ADMIN_PASSWORD}
            answer = await http.post("/auth/login", json=login)
        flags = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
        assert "httponly" in flags and "samesite=lax" in flags
        assert ("secure" in flags) is secure
        assert f"max-age={7 * 86400}" in flags


def test_secure_cookies_are_the_default():
    from hub.settings import HubSettings

    assert HubSettings().cookie_secure is True
