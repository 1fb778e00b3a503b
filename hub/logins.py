"""Log-ins, kept from delaying an alert.

A password check is argon2: tens of milliseconds of CPU by design, so a flood of log-ins (a
shift change, or someone guessing) would take the CPU and the threads that ingest and the API
need. The checks run on a small executor of their own at the lowest CPU priority, outside any
transaction, with a bounded queue; the throttle (:mod:`hub.throttle`) delays an account or an
address after failed log-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import accounts, throttle
from .errors import HubError
from .schema import User
from .settings import HubSettings
from .store import Store, StoreError
from .store_watch import StoreWatch

T = TypeVar("T")


class Act(Protocol):
    """:meth:`hub.service.Hub.act`: one transaction, then what it changed is sent."""

    async def __call__(self, action: Callable[[Session], T]) -> T: ...


class LoginsBusy(HubError):
    """More log-ins are waiting for their password check than the hub takes at once."""

    status = 503


class Logins:
    def __init__(self, store: Store, settings: HubSettings, store_watch: StoreWatch, act: Act):
        self.store = store
        self.settings = settings
        self.store_watch = store_watch
        self.act = act
        self.session_policy = accounts.SessionPolicy.of(settings)
        self.throttle_policy = throttle.ThrottlePolicy.of(settings)
        self._checks = ThreadPoolExecutor(
            settings.login_workers, thread_name_prefix="hub-login", initializer=_yield_cpu
        )
        self._waiting = 0

    async def log_in(
        self, username: str, password: str, address: str | None = None
    ) -> tuple[str, User]:
        """Check a password and open a session: (token, user), or 401; 429 while the
        account or the client ``address`` must wait after failed log-ins (hub.throttle).

        At most ``login_queue_max`` wait for their check, then 503. A name that does not
        exist costs the same check (a dummy hash) and is counted and throttled the same way,
        so neither timing nor a lock tells it apart.
        """
        if self._waiting >= self.settings.login_queue_max:
            raise LoginsBusy("too many log-ins at once; try again in a moment")
        keys = throttle.keys_of(username, address)
        self._waiting += 1
        try:
            try:
                stored = await asyncio.to_thread(self._password_hash, username, keys)
            except SQLAlchemyError as exc:
                await self.store_watch.failed("log-in", exc)
                raise StoreError("the hub's store cannot be read just now") from exc
            loop = asyncio.get_running_loop()
            try:
                new_hash = await loop.run_in_executor(
                    self._checks, accounts.check_password, stored, password
                )
            except accounts.AccessError:
                policy = self.throttle_policy
                await self.act(
                    lambda session: throttle.record_failure(session, username, address, policy)
                )
                raise
        finally:
            self._waiting -= 1

        def opened(session: Session) -> tuple[str, User]:
            found = accounts.open_session(
                session, username, stored or "", new_hash, self.session_policy
            )
            throttle.record_success(session, username)
            return found

        return await self.act(opened)

    def _password_hash(self, username: str, keys: list[str]) -> str | None:
        with self.store.sessions() as session:
            throttle.check(session, keys)
            return accounts.password_hash(session, username)

    def close(self) -> None:
        self._checks.shutdown(wait=False, cancel_futures=True)


def _yield_cpu() -> None:
    """Run this thread (and the threads argon2 starts from it, which inherit it) at the
    lowest CPU priority: on a busy machine an alert's ingest goes first, a log-in waits."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: no per-thread priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
