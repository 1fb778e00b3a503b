"""The device catalog: the models a home's devices can be (devices/catalog.yaml)."""

from __future__ import annotations

from fastapi import APIRouter

from devices.catalog import catalog

from ..deps import ScopeDep
from ..routing import LimitedJsonRoute
from ..schemas import DeviceModelPublic

router = APIRouter(prefix="/catalog", tags=["catalog"], route_class=LimitedJsonRoute)


@router.get("/devices")
def list_models(scope: ScopeDep) -> list[DeviceModelPublic]:
    """Every supported model, by kind; any logged-in user may read it."""
    del scope  # logged in is enough: the catalog is no secret
    return [
        DeviceModelPublic(
            model=d.model,
            vendor=d.vendor,
            description=d.description,
            kind=d.kind,
            source=d.source,
            metrics=sorted(d.metrics),
        )
        for d in sorted(catalog(), key=lambda d: (d.kind, d.model))
    ]
