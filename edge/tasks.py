"""Asyncio helpers of the edge: MQTT calls that keep a cancel, and periodic actions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .pipeline import worth_logging

log = logging.getLogger("edge.runtime")

T = TypeVar("T")


async def mqtt_call(call: Awaitable[T]) -> T:
    """Await an aiomqtt call without losing a cancel (SIGTERM) that came as it completed.

    aiomqtt waits with ``asyncio.wait_for``, which on Python 3.11 returns the result and drops
    a cancel that lands just as the PUBACK/SUBACK arrives; the task would then run on and the
    edge never stop. A task with a cancel pending is stopped here instead.
    """
    result = await call
    stop_if_cancelled()
    return result


def stop_if_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


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
