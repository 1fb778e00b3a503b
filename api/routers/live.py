"""WebSocket: live alert and home changes, per station and per resident.

``/ws?station=st1&station=st2&resident=h001``: no filter means everything this user may see
(their stations, or for family their residents); a filter only narrows that. The session
cookie logs the socket in (or ``?token=`` for apps); without one it is closed with 1008.
Each frame is a
:class:`~hub.feed.FeedMessage` as JSON (NaN written as null). A client that falls too far
behind, or that connects while the store is unavailable, is closed with code 1013 ("try
again later") and should reload over REST and reconnect.

The session is checked again every ``session_check_s`` while the socket is open: once it
has ended (log-out, expiry, or a password, role or scope change that revoked it) the
socket is closed with 1008. An open socket counts as use of the session (idle expiry).
A handshake from another site's page (its ``Origin``) is refused with 1008.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from sqlalchemy.exc import OperationalError

from contracts import safe_json
from hub.accounts import AccessError, Scope
from hub.errors import FeedOverflowError
from hub.feed import FeedMessage, Subscription
from hub.service import Hub
from hub.views import as_seen_by

from ..deps import SESSION_COOKIE, note_use, scope_for_token
from ..errors import STORE_UNAVAILABLE
from ..origin import foreign_page
from ..routing import LimitedJsonRoute

router = APIRouter(tags=["live"], route_class=LimitedJsonRoute)


@router.websocket("/ws")
async def live(
    websocket: WebSocket,
    station: Annotated[list[str] | None, Query()] = None,
    resident: Annotated[list[str] | None, Query()] = None,
) -> None:
    hub: Hub = websocket.app.state.hub
    foreign = foreign_page(websocket.headers, hub.settings.public_origins)
    if foreign is not None:
        await websocket.close(code=1008, reason="a page of another site may not connect")
        return
    token = websocket.cookies.get(SESSION_COOKIE) or websocket.query_params.get("token") or ""
    try:
        scope, _touch_due = await asyncio.to_thread(scope_for_token, hub, token)
    except AccessError as exc:
        await websocket.close(code=1008, reason=exc.reason)
        return
    except OperationalError:
        # Accepted first, so that the client reads "try again later" rather than a refused
        # handshake it would take for a bad session.
        await websocket.accept()
        await websocket.close(code=1013, reason=STORE_UNAVAILABLE)
        return
    stations, residents = _narrowed(scope, station, resident)
    await websocket.accept()
    subscription = hub.feed.subscribe(stations=stations, residents=residents)
    try:
        async with subscription:
            hello = {"user": scope.username, "role": scope.role}
            await websocket.send_text(safe_json.dumps({"type": "hello", "data": hello}).decode())
            async with asyncio.TaskGroup() as tasks:
                # The feed alone never notices a client that left; the reader does, and
                # closing the subscription ends the sender too.
                tasks.create_task(_read_until_closed(websocket, subscription), name="reader")
                watch = tasks.create_task(
                    _watch_session(hub, token, scope, subscription), name="session watch"
                )
                async for message in subscription:
                    await websocket.send_text(_frame(message, scope))
                watch.cancel()  # the client left: nothing to watch
    except* SessionEnded as ended:
        await websocket.close(code=1008, reason=ended.exceptions[0].reason)
    except* FeedOverflowError:
        await websocket.close(code=1013, reason="too far behind; reload and reconnect")
    except* WebSocketDisconnect:
        pass


class SessionEnded(AccessError):
    """The socket's session ended, or now grants something else, while it was open."""


async def _watch_session(hub: Hub, token: str, scope: Scope, subscription: Subscription) -> None:
    """Check the session every ``session_check_s``; end the socket when it no longer holds.
    A store that cannot be read just now is no reason to cut a dispatcher off."""
    while not subscription.closed:
        await asyncio.sleep(hub.settings.session_check_s)
        try:
            now, touch_due = await asyncio.to_thread(scope_for_token, hub, token)
        except AccessError as exc:
            subscription.close()
            raise SessionEnded(exc.reason) from None
        except OperationalError:
            continue
        if _terms(now) != _terms(scope):
            subscription.close()
            raise SessionEnded("your account was changed; log in again")
        if touch_due:
            await asyncio.to_thread(note_use, hub, token)


def _frame(message: FeedMessage, scope: Scope) -> str:
    """The message as this user reads it: every subscriber shares one message, so an alert's
    document is narrowed here, per socket, as the REST answers narrow it."""
    if message.type == "alert" and "alert" in message.payload:
        alert = as_seen_by(message.payload["alert"], scope)
        message = replace(message, payload={**message.payload, "alert": alert})
    return message.to_json()


def _terms(scope: Scope) -> tuple[object, ...]:
    # A caregiver's shift ending (or another starting) changes what she may see, too.
    return (scope.role, scope.stations, scope.residents, scope.duty_homes)


async def _read_until_closed(websocket: WebSocket, subscription: Subscription) -> None:
    """Clients send nothing we need; read only to learn when they go."""
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        subscription.close()


def _narrowed(
    scope: Scope, stations: list[str] | None, residents: list[str] | None
) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    asked_stations = frozenset(stations) if stations else None
    asked_residents = frozenset(residents) if residents else None
    if scope.sees_everything:
        return asked_stations, asked_residents
    if scope.role == "family":
        return asked_stations, scope.residents & (asked_residents or scope.residents)
    if scope.ward_stations:  # a caregiver of an institution: the residents of her shift
        residents_seen = scope.duty_homes & (asked_residents or scope.duty_homes)
        return scope.stations & (asked_stations or scope.stations), residents_seen
    return scope.stations & (asked_stations or scope.stations), asked_residents
