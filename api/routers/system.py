"""The hub's own health: MQTT connection, ingest counts, deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ..deps import HubDep
from ..routing import LimitedJsonRoute

router = APIRouter(tags=["system"], route_class=LimitedJsonRoute)


@router.get("/health")
def health(hub: HubDep) -> dict[str, Any]:
    return hub.status()


@router.get("/clock")
def clock(request: Request) -> dict[str, Any]:
    """The homes' time now (epoch seconds): the pages count "3 min ago" and "today" from it,
    so that they agree with the hub whatever the browser's clock says. ``simulated`` is true
    in the demo, whose homes live a replayed morning faster than real time; ``rate`` is how
    many seconds the clock runs a second just now (300 while the demo catches up, then 1)."""
    state = request.app.state
    return {"now": state.clock(), "rate": state.clock_rate(), "simulated": state.simulated}
