"""Visit tiers: how often and how a station checks on its residents (its own list)."""

from __future__ import annotations

from hub.schema import VisitTier

from ..care_schemas import VisitTierCreate, VisitTierPublic, VisitTierUpdate
from ._catalog import catalog_router

router = catalog_router(
    prefix="/visit-tiers",
    model=VisitTier,
    create=VisitTierCreate,
    update=VisitTierUpdate,
    public=VisitTierPublic,
    family_reads=False,
)
