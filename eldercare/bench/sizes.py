"""How much one bench run does, how long it waits for what does not come, and where it says
how far it has got."""

from __future__ import annotations

import sys
from dataclasses import dataclass

DEFAULT_HOMES = (100, 1_000, 10_000)
STALL_S = 30.0  # a drain that makes no progress for this long has lost messages


@dataclass(frozen=True)
class Sizes:
    """How much each home count gets: the backlog, and the events of each latency phase."""

    messages: int
    events: int
    event_rate: float  # events per second in the latency phase
    warmup_s: float  # background load before the first event


FULL = Sizes(messages=20_000, events=200, event_rate=20.0, warmup_s=2.0)
QUICK = Sizes(messages=1_000, events=20, event_rate=40.0, warmup_s=0.5)


def log(text: str) -> None:
    # Progress on stderr: stdout is the table and the JSON a caller may parse.
    print(f"bench: {text}", file=sys.stderr, flush=True)
