"""The log-in flood of `eldercare bench`: clients that log in again and again, each as fast
as the hub answers, in a process of their own (so their work does not share the measuring
process's interpreter).

Every log-in costs the hub an argon2 check, tens of milliseconds of CPU on purpose: the
flood shows whether that work delays alerts.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

USERNAME = "bench-flood"


@dataclass(frozen=True)
class FloodPlan:
    base_url: str
    username: str
    password: str
    clients: int


def flood_account(database: str) -> tuple[str, str]:
    """An account to log in as: (username, password)."""
    from hub.accounts import save_user
    from hub.store import Store

    password = secrets.token_urlsafe(16)
    store = Store(database)
    try:
        with store.transaction() as session:
            save_user(session, USERNAME, name="Bench flood", role="family", password=password)
    finally:
        store.close()
    return USERNAME, password


def flood_process(plan: FloodPlan, stop: Event, results: Queue[tuple[str, Any]]) -> None:
    """The child process: log in until ``stop`` is set, then send back what it saw."""
    try:
        results.put(("ok", asyncio.run(run_flood(plan, stop))))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


async def run_flood(plan: FloodPlan, stop: Event) -> dict[str, Any]:
    import httpx

    answers: Counter[str] = Counter()
    credentials = {"username": plan.username, "password": plan.password}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=plan.base_url, timeout=60) as http:
            while not stop.is_set():
                try:
                    response = await http.post("/auth/login", json=credentials)
                    answers[str(response.status_code)] += 1
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(plan.clients)))
    seconds = time.perf_counter() - started
    return {
        "clients": plan.clients,
        "seconds": round(seconds, 2),
        "answers": dict(answers),
        "logins_per_s": round(answers["200"] / seconds, 1) if seconds else 0.0,
    }


class LoginFlood:
    """``clients`` clients logging in non-stop, in a process of their own."""

    def __init__(self, context: Any, base: str, account: tuple[str, str], clients: int):
        self.stopping = context.Event()
        self.results = context.Queue()
        plan = FloodPlan(base, *account, clients=clients)
        self.process = context.Process(
            target=flood_process, args=(plan, self.stopping, self.results), daemon=True
        )

    async def start(self) -> None:
        self.process.start()
        await asyncio.sleep(1.0)  # the clients are logging in before the first event

    async def stop(self) -> dict[str, Any]:
        self.stopping.set()
        status, value = await asyncio.to_thread(self.results.get, True, 120)
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.terminate()
        if status != "ok":
            raise RuntimeError(f"the log-in flood failed: {value}")
        return value
