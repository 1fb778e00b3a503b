"""WebSocket: live alert and home changes, per station and per resident.

``/ws?station=st1&station=st2&resident=h001``: no filter means everything. Each frame is a
:class:`~hub.feed.FeedMessage` as JSON. A client that falls too far behind is closed with
code 1013 ("try again later") and should reload over REST and reconnect.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from hub.errors import FeedOverflowError
from hub.service import Hub

router = APIRouter(tags=["live"])


@router.websocket("/ws")
async def live(
    websocket: WebSocket,
    station: Annotated[list[str] | None, Query()] = None,
    resident: Annotated[list[str] | None, Query()] = None,
) -> None:
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    subscription = hub.feed.subscribe(
        stations=frozenset(station) if station else None,
        residents=frozenset(resident) if resident else None,
    )
    try:
        async with subscription:
            await websocket.send_json({"type": "hello", "data": {"stations": station}})
            async for message in subscription:
                await websocket.send_text(message.to_json())
    except FeedOverflowError:
        await websocket.close(code=1013, reason="too far behind; reload and reconnect")
    except WebSocketDisconnect:
        pass
