"""The hub's own health: MQTT connection, ingest counts, deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import HubDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health(hub: HubDep) -> dict[str, Any]:
    return hub.status()
