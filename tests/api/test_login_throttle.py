"""Log-in throttling against the real app: growing delays per account and per address, the
same answers for a name that does not exist, a lock an admin sees and lifts, and a lock
that survives a restart of the hub."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    PASSWORD,
    register,
    served,
    settings_for,
)

WRONG = "not-the-password-at-all"


async def log_in(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/auth/login", json={"username": username, "password": password})


async def test_failed_log_ins_make_the_account_wait_longer_each_time(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, login_free_failures=3, login_delay_s=3.0)
    async with served(settings) as hub, httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        await register(hub)
        answers = [(await log_in(http, DISPATCHER, WRONG)).status_code for _ in range(3)]
        assert answers == [401, 401, 401]  # the free attempts
        assert (await log_in(http, DISPATCHER, WRONG)).status_code == 401  # the 4th: 3 s
        locked = await log_in(http, DISPATCHER, PASSWORD)
        assert locked.status_code == 429, "the right password must wait too"
        assert 2 <= int(locked.headers["Retry-After"]) <= 3  # (a slow machine took a moment)
        assert "too many failed log-ins" in locked.json()["detail"]

        await asyncio.sleep(3.1)
        assert (await log_in(http, DISPATCHER, WRONG)).status_code == 401  # the 5th: 6 s
        assert 5 <= int((await log_in(http, DISPATCHER, PASSWORD)).headers["Retry-After"]) <= 6

        # The admin sees the lock, and lifts it.
        users = {u["username"]: u for u in (await hub.http.get("/users")).json()}
        assert users[DISPATCHER]["locked_until"] is not None
        assert users[DISPATCHER]["failed_logins"] == 5
        assert users[FAMILY]["locked_until"] is None and users[FAMILY]["failed_logins"] == 0
        assert (await hub.http.delete(f"/users/{DISPATCHER}/lock")).status_code == 204
        users = {u["username"]: u for u in (await hub.http.get("/users")).json()}
        assert users[DISPATCHER]["locked_until"] is None
        assert (await log_in(http, DISPATCHER, PASSWORD)).status_code == 200


async def test_a_success_clears_the_account_count(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, login_free_failures=3, login_delay_s=30.0)
    async with served(settings) as hub, httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        await register(hub)
        for _ in range(2):
            await log_in(http, DISPATCHER, WRONG)
        assert (await log_in(http, DISPATCHER, PASSWORD)).status_code == 200
        for _ in range(3):  # three more free failures after the success
            assert (await log_in(http, DISPATCHER, WRONG)).status_code == 401


async def test_a_name_that_does_not_exist_is_answered_like_one_that_does(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, login_free_failures=2, login_delay_s=30.0)
    async with served(settings) as hub, httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        await register(hub)
        seen = {}
        for username in (DISPATCHER, "no.such.person"):
            answers = [await log_in(http, username, WRONG) for _ in range(4)]
            seen[username] = [(a.status_code, a.headers.get("Retry-After")) for a in answers]
            assert [a.json()["detail"] for a in answers[:2]] == ["wrong user name or password"] * 2
        assert seen[DISPATCHER] == seen["no.such.person"] == [
            (401, None), (401, None), (401, None), (429, "30"),
        ]  # fmt: skip


async def test_a_wrong_name_costs_as_long_as_a_wrong_password(
    mosquitto, tmp_path, production_password_cost
):
    """The password check runs against a dummy hash for an unknown name: timing does not
    tell which names exist (without it, an unknown name answered in a fraction of the
    time of one argon2 check)."""
    unthrottled = {"login_free_failures": 1000, "login_free_failures_per_address": 1000}
    async with served(settings_for(mosquitto, tmp_path, **unthrottled)) as hub:
        await register(hub)
        async with httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
            took: dict[str, list[float]] = {DISPATCHER: [], "nobody.here": []}
            for _ in range(5):
                for username, times in took.items():
                    started = time.perf_counter()
                    assert (await log_in(http, username, WRONG)).status_code == 401
                    times.append(time.perf_counter() - started)
        known, unknown = (statistics.median(took[n]) for n in (DISPATCHER, "nobody.here"))
        assert 0.5 < unknown / known < 2.0, (known, unknown)


async def test_many_names_from_one_address_make_that_address_wait(mosquitto, tmp_path):
    settings = settings_for(
        mosquitto, tmp_path, login_free_failures=100, login_free_failures_per_address=4,
        login_delay_s=30.0,
    )  # fmt: skip
    async with served(settings) as hub, httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        await register(hub)
        for n in range(5):  # one failure each on five names: password spraying
            assert (await log_in(http, f"guess{n}", "123456")).status_code == 401
        refused = await log_in(http, FAMILY, PASSWORD)
        assert refused.status_code == 429, "the address waits, whatever the name"
        assert (await hub.http.get("/auth/me")).status_code == 200  # open sessions go on


async def test_a_lock_survives_a_restart(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, login_free_failures=2, login_delay_s=60.0)
    async with served(settings) as hub, httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        await register(hub)
        for _ in range(3):
            await log_in(http, DISPATCHER, WRONG)
        assert (await log_in(http, DISPATCHER, PASSWORD)).status_code == 429
    async with served(settings) as hub, httpx.AsyncClient(base_url=hub.url, timeout=30) as http:
        answer = await log_in(http, DISPATCHER, PASSWORD)
        assert answer.status_code == 429 and 50 <= int(answer.headers["Retry-After"]) <= 60
