"""The hub's own health: MQTT connection, ingest counts, deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import HubDep
from ..routing import LimitedJsonRoute

router = APIRouter(tags=["system"], route_class=LimitedJsonRoute)


@router.get("/health")
def health(hub: HubDep) -> dict[str, Any]:
    return hub.status()
