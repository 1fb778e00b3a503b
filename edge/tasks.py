"""Asyncio helpers of the edge: periodic actions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .pipeline import worth_logging

log = logging.getLogger("edge.runtime")


async def every(seconds: float, action: Callable[[], object], *, who: str) -> None:
    """Call ``action`` every ``seconds`` (awaiting it if it returns an awaitable), for ever.

    An exception in one call is logged and the next call comes as planned: a periodic task
    of the edge (tick, staging, saving the detectors) must never take the others down.
    """
    failures = 0
    while True:
        await asyncio.sleep(seconds)
        try:
            result = action()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            failures += 1
            if worth_logging(failures):
                log.exception(
                    "%s failed (%d times so far); trying again in %g s", who, failures, seconds
                )
