"""Service types: what a station arranges (助餐, 助浴, 助洁, 助医, repairs); a family reads
its resident's station's, to order one."""

from __future__ import annotations

from hub.schema import ServiceType

from ..care_schemas import ServiceTypeCreate, ServiceTypePublic, ServiceTypeUpdate
from ._catalog import catalog_router

router = catalog_router(
    prefix="/service-types",
    model=ServiceType,
    create=ServiceTypeCreate,
    update=ServiceTypeUpdate,
    public=ServiceTypePublic,
    family_reads=True,
)
