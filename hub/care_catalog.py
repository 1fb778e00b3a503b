"""What a station manages for its care operations: visit tiers, service types, providers.

Rows of one station each; the API checks who may change which station's rows. Inside a
caller's session, never committing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import HubError
from .schema import ServiceProvider, ServiceType, Station, VisitTier

Item = TypeVar("Item", VisitTier, ServiceType, ServiceProvider)


class CatalogNotFound(HubError):
    status = 404


def items_of(session: Session, model: type[Item], station_ids: Collection[str]) -> list[Item]:
    query = select(model).where(model.station_id.in_(sorted(station_ids)))
    return list(session.scalars(query.order_by(model.station_id, model.id)))


def add_item(session: Session, model: type[Item], fields: Mapping[str, Any]) -> Item:
    if session.get(Station, fields["station_id"]) is None:
        raise CatalogNotFound(f"no station {fields['station_id']!r}")
    item = model(**fields)
    session.add(item)
    session.flush()
    return item


def get_item(session: Session, model: type[Item], item_id: int) -> Item:
    item = session.get(model, item_id)
    if item is None:
        raise CatalogNotFound(f"no {model.__tablename__.replace('_', ' ')[:-1]} {item_id}")
    return item


def update_item(item: Item, fields: Mapping[str, Any]) -> Item:
    for name, value in fields.items():
        setattr(item, name, value)
    return item
