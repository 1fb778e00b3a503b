"""One router per station-managed list (visit tiers, service types, providers), made alike:
``GET`` the lists of the stations one sees, ``POST`` a new row, ``PATCH`` a row.

Without ``from __future__ import annotations``: the routes' annotations are the classes
passed in, which FastAPI must see as objects, not as names of this module.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

from hub import care_catalog

from ..care_scope import require_station_manager, station_ids
from ..deps import HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64
from ..routing import LimitedJsonRoute


def catalog_router(
    *,
    prefix: str,
    model: Any,
    create: type[BaseModel],
    update: type[BaseModel],
    public: type[BaseModel],
    family_reads: bool,
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[prefix.strip("/")], route_class=LimitedJsonRoute)
    ItemId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the row's id")]

    def shown(item: Any) -> Any:
        fields = {name: getattr(item, name) for name in public.model_fields if name != "station"}
        return public(station=item.station_id, **fields)

    def listed(session: SessionDep, scope: ScopeDep) -> list[public]:  # type: ignore[valid-type]
        stations = station_ids(session, scope, family=family_reads)
        return [shown(item) for item in care_catalog.items_of(session, model, stations)]

    async def added(body: create, hub: HubDep, scope: ScopeDep) -> public:  # type: ignore[valid-type]
        fields = body.model_dump()  # type: ignore[attr-defined]
        fields["station_id"] = fields.pop("station")
        require_station_manager(scope, fields["station_id"])
        return await hub.act(lambda s: shown(care_catalog.add_item(s, model, fields)))

    async def changed(
        item_id: ItemId,
        body: update,  # type: ignore[valid-type]
        hub: HubDep,
        scope: ScopeDep,
    ) -> public:  # type: ignore[valid-type]
        def change(session: Any) -> Any:
            item = care_catalog.get_item(session, model, item_id)
            if not scope.sees_station(item.station_id):
                raise care_catalog.CatalogNotFound(f"no such row {item_id}")
            require_station_manager(scope, item.station_id)
            fields = body.model_dump(exclude_none=True)  # type: ignore[attr-defined]
            return shown(care_catalog.update_item(item, fields))

        return await hub.act(change)

    router.add_api_route("", listed, methods=["GET"], response_model=list[public])
    router.add_api_route("", added, methods=["POST"], response_model=public, status_code=201)
    router.add_api_route("/{item_id}", changed, methods=["PATCH"], response_model=public)
    return router
