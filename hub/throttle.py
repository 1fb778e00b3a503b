"""Log-in throttling: after a few failed log-ins, each further attempt waits, and the wait
doubles with every failure.

Counted per account (``user:<name>``) and per client address (``addr:<ip>``), each with its
own allowance (many people may log in from behind one address). A name that does not exist
is counted like one that does, so a lock tells nothing about which names are real. A
success clears the account's count, never the address's: one valid account must not reset
the count of an address that is trying many others.

The counts are rows of the store (``login_failures``), so a restart or a second worker does
not reset them. Libraries such as ``limits`` count requests per window in memory, Redis or
Memcached; what is needed here is a growing delay kept in the hub's own store.

>>> policy = ThrottlePolicy(free=2, free_per_address=5, delay_s=1, delay_max_s=60, forget_s=3600)
>>> [policy.wait_after(n, free=2) for n in range(1, 7)]
[0.0, 0.0, 1.0, 2.0, 4.0, 8.0]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from .accounts import AccessError
from .schema import LoginFailure


class LoginThrottled(AccessError):
    """Too many failed log-ins: 429, with ``Retry-After``."""

    status = 429

    def __init__(self, wait_s: float) -> None:
        self.wait_s = max(1, math.ceil(wait_s))
        self.headers = {"Retry-After": str(self.wait_s)}
        super().__init__(f"too many failed log-ins; try again in {self.wait_s} s")


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int  # failures per account before the delays start
    free_per_address: int
    delay_s: float  # the first delay, doubled per further failure
    delay_max_s: float
    forget_s: float  # failures older than this (since the last one) are forgotten

    @classmethod
    def of(cls, settings: Any) -> ThrottlePolicy:
        return cls(
            free=settings.login_free_failures,
            free_per_address=settings.login_free_failures_per_address,
            delay_s=settings.login_delay_s,
            delay_max_s=settings.login_delay_max_s,
            forget_s=settings.login_forget_s,
        )

    def wait_after(self, failures: int, *, free: int) -> float:
        over = failures - free
        if over <= 0:
            return 0.0
        return min(self.delay_s * 2.0 ** min(over - 1, 60), self.delay_max_s)


def account_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str) -> str:
    return f"addr:{address}"


def keys_of(username: str, address: str | None) -> list[str]:
    keys = [account_key(username)]
    return keys if address is None else [*keys, address_key(address)]


def wait_s(session: Session, keys: list[str], now: float | None = None) -> float:
    """How long the next attempt for these keys must still wait (0: it may go ahead)."""
    now = time.time() if now is None else now
    until = session.scalars(
        select(LoginFailure.locked_until).where(LoginFailure.key.in_(keys))
    ).all()
    return max((u - now for u in until), default=0.0) if until else 0.0


def check(session: Session, keys: list[str], now: float | None = None) -> None:
    """Raise :class:`LoginThrottled` while any of ``keys`` must wait."""
    wait = wait_s(session, keys, now)
    if wait > 0:
        raise LoginThrottled(wait)


def record_failure(
    session: Session,
    username: str,
    address: str | None,
    policy: ThrottlePolicy,
    now: float | None = None,
) -> None:
    """Count a failed log-in for the account and the address, and set their waits."""
    now = time.time() if now is None else now
    allowances = [(account_key(username), policy.free)]
    if address is not None:
        allowances.append((address_key(address), policy.free_per_address))
    for key, free in allowances:
        if session.get(LoginFailure, key) is None:
            session.add(LoginFailure(key=key, failures=0, last_failed_at=now, locked_until=0.0))
            session.flush()
        # One UPDATE counts, so that two workers failing at once both count.
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.key == key)
            .values(
                failures=case(
                    (LoginFailure.last_failed_at < now - policy.forget_s, 1),
                    else_=LoginFailure.failures + 1,
                ),
                last_failed_at=now,
            )
        )
        row = session.get(LoginFailure, key, populate_existing=True)
        assert row is not None
        wait = policy.wait_after(row.failures, free=free)
        row.locked_until = now + wait if wait else 0.0


def record_success(session: Session, username: str) -> None:
    clear(session, username)


def clear(session: Session, username: str) -> bool:
    """Forget an account's failures (an admin unlocks it); whether there were any."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.key == account_key(username)))
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class LockState:
    failures: int
    locked_until: float | None  # None: not locked now


def lock_states(session: Session, now: float | None = None) -> dict[str, LockState]:
    """Per user name: failed log-ins not yet forgotten, and the lock if one holds now."""
    now = time.time() if now is None else now
    states = {}
    for row in session.scalars(select(LoginFailure).where(LoginFailure.key.like("user:%"))):
        states[row.key.removeprefix("user:")] = LockState(
            row.failures, row.locked_until if row.locked_until > now else None
        )
    return states
