"""Sessions end: after idling, at their absolute end, at log-out, and when an admin changes
the account's password or role (or the user changes their own password); an open WebSocket
is closed when its session ends, checked with a real WebSocket client."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.support.factories import (
    ADMIN_PASSWORD,
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    register,
    served,
    settings_for,
)
from tests.support.served_hub import cookie_of

FAST_CHECK = {"session_check_s": 0.2}


async def test_a_session_unused_for_too_long_ends_and_one_in_use_goes_on(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, session_idle_s=3.0)
    async with served(settings) as hub:
        await register(hub)
        busy, idle = await hub.client_for(DISPATCHER), await hub.client_for(DISPATCHER)
        for _ in range(8):  # 4 s of use, one request every 0.5 s
            assert (await busy.get("/auth/me")).status_code == 200
            await asyncio.sleep(0.5)
        assert (await busy.get("/auth/me")).status_code == 200
        ended = await idle.get("/auth/me")
        assert ended.status_code == 401 and "unused for too long" in ended.json()["detail"]


async def test_a_session_ends_at_its_absolute_end_however_busy(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, session_absolute_s=3.0)
    async with served(settings) as hub:
        client = await hub.client_for("admin", ADMIN_PASSWORD)
        cookie = next(iter(client.cookies.jar))
        assert cookie.expires is not None  # Max-Age: the browser forgets it then too
        statuses = []
        for _ in range(9):
            statuses.append((await client.get("/auth/me")).status_code)
            await asyncio.sleep(0.5)
        assert statuses[0] == 200 and statuses[-1] == 401


async def test_log_out_ends_the_session_for_its_bearer_token_too(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
            login = {"username": DISPATCHER, "password": PASSWORD}
            token = (await http.post("/auth/login", json=login)).json()["token"]
            bearer = {"Authorization": f"Bearer {token}"}
            assert (await http.get("/auth/me", headers=bearer)).status_code == 200
            assert (await http.post("/auth/logout")).status_code == 204
            assert (await http.get("/auth/me", headers=bearer)).status_code == 401


@pytest.mark.parametrize(
    ("change", "ends"),
    [
        ({"password": "new-harbour-8263"}, True),
        ({"role": "caregiver"}, True),
        ({"stations": ["st1", "st2"]}, True),
        ({"phone": "13900000000"}, False),  # nothing the session grants
    ],
)
async def test_an_admins_change_of_the_account_ends_its_sessions(mosquitto, tmp_path, change, ends):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        (await hub.http.put("/stations/st2", json={"name": "第二服务站"})).raise_for_status()
        client = await hub.client_for(DISPATCHER)
        account = {"name": "张丽", "role": "dispatcher", "stations": ["st1"], **change}
        (await hub.http.put(f"/users/{DISPATCHER}", json=account)).raise_for_status()
        assert (await client.get("/auth/me")).status_code == (401 if ends else 200)


async def test_changing_ones_own_password_ends_the_other_sessions(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        laptop, phone = await hub.client_for(DISPATCHER), await hub.client_for(DISPATCHER)
        weak = {"current_password": PASSWORD, "new_password": "password1"}
        assert (await laptop.post("/auth/password", json=weak)).status_code == 422
        wrong = {"current_password": "not-my-password", "new_password": "new-harbour-8263"}
        assert (await laptop.post("/auth/password", json=wrong)).status_code == 403
        change = {"current_password": PASSWORD, "new_password": "new-harbour-8263"}
        assert (await laptop.post("/auth/password", json=change)).status_code == 200
        assert (await laptop.get("/auth/me")).status_code == 200  # its new session
        assert (await phone.get("/auth/me")).status_code == 401
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
            old = {"username": DISPATCHER, "password": PASSWORD}
            assert (await http.post("/auth/login", json=old)).status_code == 401
            new = {"username": DISPATCHER, "password": "new-harbour-8263"}
            assert (await http.post("/auth/login", json=new)).status_code == 200


async def closed_with(ws: websockets.ClientConnection, timeout: float = 10.0) -> tuple[int, str]:
    """Read until the server closes the socket: its close code and reason."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None, "closed without a close frame"
        return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError("unreachable")


async def open_socket(hub, client: httpx.AsyncClient) -> websockets.ClientConnection:
    ws = await websockets.connect(hub.ws_url, additional_headers=cookie_of(client))
    assert json.loads(await ws.recv())["type"] == "hello"
    return ws


@pytest.mark.parametrize("how", ["log-out", "deactivation", "password change", "expiry"])
async def test_an_open_websocket_is_closed_when_its_session_ends(mosquitto, tmp_path, how):
    changes = {**FAST_CHECK, **({"session_absolute_s": 4.0} if how == "expiry" else {})}
    async with served(settings_for(mosquitto, tmp_path, **changes)) as hub:
        await register(hub)
        family = await hub.client_for(FAMILY)
        ws = await open_socket(hub, family)
        await asyncio.sleep(0.5)
        assert ws.state is websockets.protocol.State.OPEN, "closed before the session ended"
        account = {"name": "李明", "role": "family", "residents": [HOME]}
        if how == "log-out":
            assert (await family.post("/auth/logout")).status_code == 204
        elif how == "deactivation":
            (await hub.http.delete(f"/users/{FAMILY}")).raise_for_status()
        elif how == "password change":
            changed = {**account, "password": "new-harbour-8263"}
            (await hub.http.put(f"/users/{FAMILY}", json=changed)).raise_for_status()
        code, reason = await closed_with(ws)
        assert code == 1008, reason
        assert "session" in reason or "log in" in reason
