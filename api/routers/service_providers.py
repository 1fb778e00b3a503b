"""Service providers: the canteens, firms and volunteers who deliver a station's services."""

from __future__ import annotations

from hub.schema import ServiceProvider

from ..care_schemas import ServiceProviderCreate, ServiceProviderPublic, ServiceProviderUpdate
from ._catalog import catalog_router

router = catalog_router(
    prefix="/service-providers",
    model=ServiceProvider,
    create=ServiceProviderCreate,
    update=ServiceProviderUpdate,
    public=ServiceProviderPublic,
    family_reads=False,
)
