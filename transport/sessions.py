"""An aiomqtt client's connection, entered so that a stop during a connect leaves nothing.

aiomqtt 2.5 leaves the socket of a connect whose task was cancelled (a service stopping
while it reconnects) to the event loop. When that socket closes later, its disconnect
callback asks the cancelled connect for its exception, which raises inside the loop: a
traceback on the way out ("Exception in callback ... CancelledError"), seen when the demo
was stopped with Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import aiomqtt

__all__ = ["connected"]

# How long a cancelled connect may still take before it is given up (the broker is
# normally there: a stop lets it finish, then disconnects).
SETTLE_S = 5.0


@contextlib.asynccontextmanager
async def connected(
    client: aiomqtt.Client, *, settle_s: float = SETTLE_S
) -> AsyncIterator[aiomqtt.Client]:
    """``async with client``, except that a task cancelled while the client connects lets
    the connect finish and disconnects (each at most ``settle_s``) before the cancellation
    goes on, so the socket is closed by us and not left to the loop."""
    entering = asyncio.ensure_future(client.__aenter__())
    try:
        await asyncio.shield(entering)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):  # it failed or took too long: nothing to close
            await asyncio.wait_for(entering, settle_s)
            # Bounded too: a stop must not wait on a broker that does not answer.
            await asyncio.wait_for(client.__aexit__(None, None, None), settle_s)
        raise
    try:
        yield client
    finally:
        await client.__aexit__(*sys.exc_info())
