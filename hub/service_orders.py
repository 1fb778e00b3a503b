"""Service orders (子女网上下单、老人体验服务): a family or a dispatcher orders a service for a
resident; the station takes it through its states. An explicit state machine, like the
alerts' (hub/alerts.py): every change is a row of ``service_order_history`` (who, when, what).

============  =======================================  =====================================
to            allowed from                             who
============  =======================================  =====================================
requested     (a new order)                            family of the resident, or staff
accepted      requested                                staff of the station
assigned      accepted, assigned (another provider)    staff; names a provider or volunteer
on_the_way    assigned                                 staff
done          assigned, on_the_way                     staff
cancelled     requested, accepted                      the family, or staff
cancelled     assigned, on_the_way                     staff (someone is already on it)
============  =======================================  =====================================

After ``done`` the family rates the order once (1-5 and a note). The manager works inside
a caller's session and never commits; the caller publishes the :class:`OrderUpdate` on the
live feed after commit (``order_message``), so the family sees each change as it happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import HubError
from .feed import FeedMessage
from .schema import Home, ServiceOrder, ServiceOrderChange, ServiceProvider, ServiceType
from .views import local_time

OrderState = Literal["requested", "accepted", "assigned", "on_the_way", "done", "cancelled"]
ORDER_STATES: tuple[str, ...] = get_args(OrderState)
TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"accepted", "cancelled"}),
    "accepted": frozenset({"assigned", "cancelled"}),
    "assigned": frozenset({"assigned", "on_the_way", "done", "cancelled"}),
    "on_the_way": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
# What a family may do to an order of theirs: call it off before anyone is on it.
FAMILY_MAY_CANCEL = frozenset({"requested", "accepted"})
OPEN_STATES = frozenset({"requested", "accepted", "assigned", "on_the_way"})


class OrderError(HubError):
    """A change an order cannot take (409), an order that does not exist (404) or a request
    that names what the station does not have (422)."""

    status = 409


class OrderNotFound(OrderError):
    status = 404


class OrderInvalid(OrderError):
    status = 422


class OrderForbidden(OrderError):
    status = 403


@dataclass(frozen=True)
class OrderUpdate:
    """A change to publish once committed: the order as it is now, and what happened."""

    change: str
    actor: str
    order: Mapping[str, Any]


def place_order(
    session: Session,
    home: Home,
    *,
    type_id: int,
    wanted_at: float,
    notes: str | None,
    actor: str,
    now: float,
) -> OrderUpdate:
    service = session.get(ServiceType, type_id)
    if service is None or service.station_id != home.station_id or not service.active:
        raise OrderInvalid(f"station {home.station_id} offers no service {type_id}")
    order = ServiceOrder(
        home_id=home.id, station_id=home.station_id, type_id=type_id, wanted_at=wanted_at,
        notes=notes, state="requested", created_at=now, created_by=actor, updated_at=now,
    )  # fmt: skip
    session.add(order)
    session.flush()
    _record(session, order, actor, "requested", {}, now)
    return OrderUpdate("requested", actor, order_document(session, order, home))


def change_state(
    session: Session,
    order_id: int,
    to: str,
    *,
    actor: str,
    staff: bool,
    now: float,
    provider_id: int | None = None,
    note: str | None = None,
) -> OrderUpdate:
    """Move the order to ``to`` if the table of the module docstring allows it."""
    order, home = get_order(session, order_id)
    if to not in ORDER_STATES or to == "requested":
        raise OrderInvalid(f"no change to {to!r}; one of {list(ORDER_STATES[1:])}")
    if not staff and to != "cancelled":
        raise OrderForbidden("the station's staff move an order on; a family may cancel it")
    if to not in TRANSITIONS[order.state]:
        raise OrderError(f"order {order_id} is {order.state}: it cannot become {to}")
    if not staff and order.state not in FAMILY_MAY_CANCEL:
        raise OrderForbidden(f"someone is on it ({order.state}): call the station to cancel")
    detail: dict[str, Any] = {"from": order.state}
    if to == "assigned":
        provider = session.get(ServiceProvider, provider_id) if provider_id is not None else None
        if provider is None or provider.station_id != order.station_id or not provider.active:
            raise OrderInvalid(f"assigning needs an active provider of station {order.station_id}")
        order.provider_id = provider.id
        detail["provider"] = provider.name
    if note:
        detail["note"] = note
    order.state, order.updated_at = to, now
    _record(session, order, actor, to, detail, now)
    return OrderUpdate(to, actor, order_document(session, order, home))


def rate(
    session: Session, order_id: int, rating: int, note: str | None, *, actor: str, now: float
) -> OrderUpdate:
    order, home = get_order(session, order_id)
    if order.state != "done":
        raise OrderError(f"order {order_id} is {order.state}: rate it once it is done")
    if order.rating is not None:
        raise OrderError(f"order {order_id} was already rated ({order.rating})")
    if not 1 <= rating <= 5:
        raise OrderInvalid("a rating from 1 to 5")
    order.rating, order.rating_note, order.updated_at = rating, note, now
    _record(session, order, actor, "rated", {"rating": rating, "note": note}, now)
    return OrderUpdate("rated", actor, order_document(session, order, home))


def get_order(session: Session, order_id: int) -> tuple[ServiceOrder, Home]:
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise OrderNotFound(f"no service order {order_id}")
    home = session.get(Home, order.home_id)
    assert home is not None  # a foreign key
    return order, home


def orders_of(
    session: Session, home_ids: Collection[str], *, open_only: bool = False, limit: int = 200
) -> list[tuple[ServiceOrder, Home]]:
    query = (
        select(ServiceOrder, Home)
        .join(Home, Home.id == ServiceOrder.home_id)
        .where(ServiceOrder.home_id.in_(list(home_ids)))
    )
    if open_only:
        query = query.where(ServiceOrder.state.in_(sorted(OPEN_STATES)))
    query = query.order_by(ServiceOrder.created_at.desc(), ServiceOrder.id.desc()).limit(limit)
    return [(order, home) for order, home in session.execute(query)]


def _record(
    session: Session,
    order: ServiceOrder,
    actor: str,
    action: str,
    detail: dict[str, Any],
    now: float,
) -> None:
    session.add(
        ServiceOrderChange(order_id=order.id, at=now, actor=actor, action=action, detail=detail)
    )
    session.flush()


def order_document(session: Session, order: ServiceOrder, home: Home) -> dict[str, Any]:
    zone = ZoneInfo(home.timezone)
    service = session.get(ServiceType, order.type_id)
    provider = session.get(ServiceProvider, order.provider_id) if order.provider_id else None
    history = session.scalars(
        select(ServiceOrderChange)
        .where(ServiceOrderChange.order_id == order.id)
        .order_by(ServiceOrderChange.id)
    )
    return {
        "id": order.id,
        "resident": order.home_id,
        "resident_name": home.resident_name,
        "station": order.station_id,
        "type": {
            "id": order.type_id,
            "code": service.code if service else None,
            "name_zh": service.name_zh if service else None,
            "name_en": service.name_en if service else None,
        },
        "wanted_at": local_time(order.wanted_at, zone),
        "notes": order.notes,
        "state": order.state,
        "provider": None
        if provider is None
        else {
            "id": provider.id,
            "name": provider.name,
            "kind": provider.kind,
            "phone": provider.phone,
        },
        "created_at": local_time(order.created_at, zone),
        "created_by": order.created_by,
        "updated_at": local_time(order.updated_at, zone),
        "rating": order.rating,
        "rating_note": order.rating_note,
        "history": [
            {"at": local_time(c.at, zone), "actor": c.actor, "action": c.action, "detail": c.detail}
            for c in history
        ],
    }


def order_message(update: OrderUpdate, at: float) -> FeedMessage:
    """The live feed's message of an order change (type ``service_order``)."""
    return FeedMessage(
        type="service_order",
        station=update.order["station"],
        resident=update.order["resident"],
        payload={"change": update.change, "actor": update.actor, "order": update.order},
        at=at,
    )


def monthly_order_figures(
    session: Session, station_ids: Collection[str], start: float, end: float
) -> dict[str, dict[str, int]]:
    """Orders of these stations placed in ``[start, end)`` (epoch seconds), by service type
    code and the state they are in now: ``{"meal": {"done": 12, "cancelled": 1}, ...}``."""
    stations = list(station_ids)
    if not stations or end <= start:
        return {}
    rows = session.execute(
        select(ServiceType.code, ServiceOrder.state)
        .join(ServiceType, ServiceType.id == ServiceOrder.type_id)
        .where(
            ServiceOrder.station_id.in_(stations),
            ServiceOrder.created_at >= start,
            ServiceOrder.created_at < end,
        )
    )
    counts = Counter(rows)
    figures: dict[str, dict[str, int]] = {}
    for (code, state), n in sorted(counts.items()):
        figures.setdefault(code, {})[state] = n
    return figures
