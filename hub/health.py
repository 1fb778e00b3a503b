"""Whether the hub works: the problems it has now, for ``GET /health``, the log and the
console's banner.

A problem has a kind (``store``: writes fail, nothing is acknowledged; ``broker``: not
connected for a while; ``takeover``: another client seems to use the hub's MQTT client
id), since when, and a sentence for the operator. The hub is ``degraded`` while it has any.

>>> health = HubHealth(clock=lambda: 100.0)
>>> health.fail("store", "disk I/O error")
True
>>> health.state, [p.kind for p in health.problems()]
('degraded', ['store'])
>>> health.clear("store").since, health.state
(100.0, 'ok')
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

log = logging.getLogger("hub")

ProblemKind = Literal["store", "broker", "takeover"]


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    since: float  # epoch seconds
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "since": self.since, "detail": self.detail}


class HubHealth:
    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._problems: dict[ProblemKind, Problem] = {}

    def fail(self, kind: ProblemKind, detail: str) -> bool:
        """Record a problem (or its newer detail); True when it is new, then it is logged."""
        known = self._problems.get(kind)
        if known is not None:
            self._problems[kind] = replace(known, detail=detail)
            return False
        self._problems[kind] = Problem(kind, self.clock(), detail)
        level = logging.CRITICAL if kind == "takeover" else logging.ERROR
        log.log(level, "hub degraded: %s: %s", kind, detail)
        return True

    def clear(self, kind: ProblemKind) -> Problem | None:
        """The problem is over; returns it (logged with how long it lasted), or None."""
        problem = self._problems.pop(kind, None)
        if problem is not None:
            log.warning(
                "hub: %s problem over after %.0f s (%s)",
                kind,
                self.clock() - problem.since,
                problem.detail,
            )
        return problem

    def has(self, kind: ProblemKind) -> bool:
        return kind in self._problems

    def problems(self, extra: list[Problem] | None = None) -> list[Problem]:
        return sorted([*self._problems.values(), *(extra or [])], key=lambda p: p.since)

    @property
    def state(self) -> Literal["ok", "degraded"]:
        return "degraded" if self._problems else "ok"


class TakeoverWatch:
    """Another client using the hub's MQTT client id: the broker keeps ending the hub's
    session although it takes the hub straight back, since each new connection of one
    pushes the other out (Mosquitto 2.0 does not say why it closes a connection).

    ``bounces`` sessions ended and promptly re-made within ``window_s``: the ``takeover``
    problem, until the hub has kept a session for ``window_s``.
    """

    def __init__(
        self,
        health: HubHealth,
        client_id: Callable[[], str | None],
        *,
        prompt_s: float,
        bounces: int = 3,
        window_s: float = 60.0,
    ):
        self.health = health
        self.client_id = client_id
        self.prompt_s = prompt_s
        self.bounces = bounces
        self.window_s = window_s
        self._ended_at: float | None = None
        self._connected_at: float | None = None
        self._recent: deque[float] = deque()

    def ended(self) -> None:
        """The broker ended the hub's session."""
        self._ended_at = self.health.clock()
        self._connected_at = None

    def connected(self) -> None:
        now = self.health.clock()
        if self._ended_at is not None and now - self._ended_at <= self.prompt_s:
            self._recent.append(now)
        self._ended_at, self._connected_at = None, now
        while self._recent and now - self._recent[0] > self.window_s:
            self._recent.popleft()
        if len(self._recent) >= self.bounces:
            self.health.fail(
                "takeover",
                f"the broker ended the hub's session {len(self._recent)} times in "
                f"{self.window_s:.0f} s and let it straight back in: another client is most "
                f"likely connecting with the hub's client id {self.client_id()!r} and "
                "receiving (and acknowledging) alerts meant for the hub; find and stop it",
            )

    def settle(self) -> None:
        """Over once the hub has kept its session for ``window_s``."""
        now = self.health.clock()
        if self._connected_at is not None and now - self._connected_at >= self.window_s:
            self._recent.clear()
            self.health.clear("takeover")


@dataclass
class HubCounts:
    batches: int = 0
    published: int = 0
    escalations: int = 0
    delivered: int = 0
    delivery_failures: int = 0
    delivery_given_up: int = 0
    connects: int = 0
    store_errors: int = 0
    retention_deleted: int = 0
    audit_failures: int = 0  # reads of residents' data that could not be recorded
