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
