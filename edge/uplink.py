"""Connection helpers of the edge: broker URLs and the reconnect backoff.

Kept apart from the agent so a hosted-edge process (many homes over one connection) can
reuse them without the one-home agent.
"""

from __future__ import annotations

import random

from eldercare.broker_url import BrokerUrl, BrokerUrlError

__all__ = ["Backoff", "BrokerUrl", "BrokerUrlError"]


class Backoff:
    """Jittered exponential backoff: ``first`` doubling up to ``limit`` seconds.

    Full jitter between half and all of the current step, so a station's edges that lost
    the uplink together do not reconnect in lockstep; never zero, so never a busy loop.
    """

    def __init__(
        self, first: float = 0.5, limit: float = 30.0, *, rng: random.Random | None = None
    ):
        if first <= 0 or limit < first:
            raise ValueError(f"need 0 < first <= limit, got {first}, {limit}")
        self.first = first
        self.limit = limit
        self._step = first
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = self._rng.uniform(self._step / 2, self._step)
        self._step = min(self._step * 2, self.limit)
        return delay

    def reset(self) -> None:
        self._step = self.first
