"""Service orders: a family orders a service for its resident (or a dispatcher for one who
phones in), the station takes it through its states (hub/service_orders.py), the family
rates it once done. Every change goes out on the live feed (type ``service_order``)."""

from __future__ import annotations

import time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from hub import queries, service_orders
from hub.accounts import Forbidden, Scope
from hub.service import Hub
from hub.service_orders import OrderNotFound, OrderUpdate
from hub.views import in_zone

from ..audit import audit_read
from ..care_schemas import (
    ServiceOrderChangeBody,
    ServiceOrderCreate,
    ServiceOrderPublic,
    ServiceOrderRating,
)
from ..care_scope import visible_resident
from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..params import MAX_INT64
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/service-orders", tags=["service orders"], route_class=LimitedJsonRoute)
OrderId = Annotated[int, Path(ge=1, le=MAX_INT64, description="the order's id")]


def _visible(session: Session, scope: Scope, order_id: int) -> None:
    """The order, if its resident is this user's to see; otherwise it does not exist."""
    order, _home = service_orders.get_order(session, order_id)
    try:
        visible_resident(session, scope, order.home_id)
    except queries.NotFound:
        raise OrderNotFound(f"no service order {order_id}") from None


async def _acted(hub: Hub, action) -> ServiceOrderPublic:
    update: OrderUpdate = await hub.act(action)
    # After the commit, on the event loop: the family's page sees the change as it happens.
    hub.feed.publish(service_orders.order_message(update, time.time()))
    return ServiceOrderPublic(**update.order)


@router.get("")
def list_orders(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    resident: str | None = None,
    station: str | None = None,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ServiceOrderPublic]:
    """Newest first; a family sees its resident's."""
    homes = {h.id for h in queries.visible_homes(session, scope, station)}
    if resident is not None:
        homes &= {resident}
    found = service_orders.orders_of(session, homes, open_only=open_only, limit=limit)
    audit_read(request, scope, {order.home_id for order, _home in found})
    return [
        ServiceOrderPublic(**service_orders.order_document(session, order, home))
        for order, home in found
    ]


@router.get("/{order_id}")
def get_order(
    request: Request, order_id: OrderId, session: SessionDep, scope: ScopeDep
) -> ServiceOrderPublic:
    _visible(session, scope, order_id)
    order, home = service_orders.get_order(session, order_id)
    audit_read(request, scope, [home.id])
    return ServiceOrderPublic(**service_orders.order_document(session, order, home))


@router.post("", status_code=201)
async def place_order(
    body: ServiceOrderCreate, hub: HubDep, scope: ScopeDep, clock: ClockDep
) -> ServiceOrderPublic:
    """A family orders for its resident; a station's staff for one of its residents."""
    now = clock()

    def place(session: Session) -> OrderUpdate:
        home = visible_resident(session, scope, body.resident)
        if scope.oversees:  # a district or city reads its stations' figures, orders nothing
            raise Forbidden(f"a {scope.role} account does not place orders")
        wanted = in_zone(body.wanted_at, ZoneInfo(home.timezone))  # as the family means it
        return service_orders.place_order(
            session, home, type_id=body.type, wanted_at=wanted.timestamp(), notes=body.notes,
            actor=scope.name, now=now,
        )  # fmt: skip

    return await _acted(hub, place)


@router.post("/{order_id}/state")
async def change_state(
    order_id: OrderId, body: ServiceOrderChangeBody, hub: HubDep, scope: ScopeDep, clock: ClockDep
) -> ServiceOrderPublic:
    """Accept, assign (``provider``), on the way, done: the station's staff. Cancel: the
    family too, before anyone is on it. A district or city account: 403."""
    now = clock()

    def change(session: Session) -> OrderUpdate:
        _visible(session, scope, order_id)
        # hub.service_orders lets whoever is not staff cancel, as the family may; a district
        # or city is neither staff nor family: it reads its stations, it changes nothing.
        if scope.oversees:
            raise Forbidden(f"a {scope.role} account does not change orders")
        return service_orders.change_state(
            session, order_id, body.to, actor=scope.name, staff=scope.acts_on_alerts, now=now,
            provider_id=body.provider, note=body.note,
        )  # fmt: skip

    return await _acted(hub, change)


@router.post("/{order_id}/rating")
async def rate_order(
    order_id: OrderId, body: ServiceOrderRating, hub: HubDep, scope: ScopeDep, clock: ClockDep
) -> ServiceOrderPublic:
    """The family says how it went, once the order is done (once)."""
    now = clock()

    def rate(session: Session) -> OrderUpdate:
        _visible(session, scope, order_id)
        if scope.role != "family":
            raise Forbidden("the family rates the service it ordered")
        return service_orders.rate(
            session, order_id, body.rating, body.note, actor=scope.name, now=now
        )

    return await _acted(hub, rate)
