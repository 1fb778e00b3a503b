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
    """Which of a home's fixed sensors have reported, and whether it is installed.

    >>> inst = Installation(["door", "pir", "bed", "flush"], share=0.75, days=3)
    >>> inst.begin(0)
    >>> inst.hear("door", 60); inst.hear("pir", 120)
    >>> inst.installing(600), inst.describe()
    (True, '2 of 4 sensors have reported')
    >>> inst.hear("bed", 900)
    >>> inst.installing(1000), inst.installed_at
    (False, 900)
    """

    FIELDS = ("started", "reported", "installed_at")
    # A state saved before installation was kept belongs to a home already monitored:
    # installed long ago.
    ADDED: ClassVar[Mapping[str, Any]] = {"started": None, "reported": [], "installed_at": 0.0}

    def __init__(self, fixed: Iterable[str], *, share: float, days: float):
        self.fixed = frozenset(fixed)
        self.needed = math.ceil(share * len(self.fixed))
        self.days = days
        self.started: float | None = None
        self.reported: list[str] = []
        self.installed_at: float | None = None

    def begin(self, ts: float) -> None:
        if self.started is None:
            self.started = ts
            self._settle(ts)

    def hear(self, device: str, ts: float) -> None:
        """A reading of ``device`` at ``ts``."""
        if device in self.fixed and device not in self.reported:
            self.reported.append(device)
            self._settle(ts)

    def _settle(self, ts: float) -> None:
        if self.installed_at is None and len(self.reported) >= self.needed:
            self.installed_at = ts

    def installing(self, ts: float) -> bool:
        """Whether the home is still being installed at ``ts``."""
        if self.installed_at is not None:
            return ts < self.installed_at
        return self.started is None or ts - self.started < self.days * DAY_S

    def describe(self) -> str:
        return f"{len(self.reported)} of {len(self.fixed)} sensors have reported"
