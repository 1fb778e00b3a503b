"""A home being installed: its sensors start reporting one by one, over hours or days.

Until most of its fixed sensors have been heard from, the rooms they are in look like
rooms without a sensor, so the inferences made from rooms (she is resting in bed, she is
in the bathroom) stand on sensors that are not there yet: not_up and long_bathroom_stay
wait longer then (their widest limits; nothing is muted). On van Kasteren's house B,
three of seventeen sensors reported on the first day and the last on the fifth, and the
first days gave two "not up" and one "long bathroom stay" for a resident who was out.

The home is installed once ``installed_share`` of its fixed sensors have reported, or
``installation_days`` after monitoring began whatever they did (a sensor silent by then
is a device problem, and device_offline has told the installer). Installed is for good:
devices added later do not put a home back into installation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .state import Stateful

DAY_S = 86400.0


class Installation(Stateful):
    """When a home's fixed sensors were installed (``installed_at``); which of them have
    reported is the model's ``sensors.heard``, and when monitoring began its ``started``.

    >>> inst = Installation(["door", "pir", "bed", "flush"], share=0.75, days=3)
    >>> heard = {"door": 60, "pir": 120}
    >>> inst.settle(heard, 120)
    >>> inst.installing(600, started=0), inst.describe(heard)
    (True, '2 of 4 sensors have reported')
    >>> heard["bed"] = 900; inst.settle(heard, 900)
    >>> inst.installing(1000, started=0), inst.installed_at
    (False, 900)
    """

    FIELDS = ("installed_at",)
    # A state saved before installation was kept belongs to a home already monitored:
    # installed long ago.
    ADDED: ClassVar[Mapping[str, Any]] = {"installed_at": 0.0}

    def __init__(self, fixed: Iterable[str], *, share: float, days: float):
        self.fixed = frozenset(fixed)
        self.needed = math.ceil(share * len(self.fixed))
        self.days = days
        self.installed_at: float | None = None

    def settle(self, heard: Mapping[str, float], ts: float) -> None:
        """At ``ts``, with the devices ``heard`` so far: installed once enough are."""
        if self.installed_at is None and self._reported(heard) >= self.needed:
            self.installed_at = ts

    def installing(self, ts: float, started: float | None) -> bool:
        """Whether the home is still being installed at ``ts`` (monitoring began at
        ``started``)."""
        if self.installed_at is not None:
            return ts < self.installed_at
        return started is None or ts - started < self.days * DAY_S

    def describe(self, heard: Mapping[str, float]) -> str:
        return f"{self._reported(heard)} of {len(self.fixed)} sensors have reported"

    def _reported(self, heard: Mapping[str, float]) -> int:
        return len(self.fixed & heard.keys())
