"""The service order state machine on a real store: every allowed change recorded with who
and when, every other one refused with the reason, the family's limits, the rating, and the
monthly figures by type and state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.registry import save_home, save_station
from hub.schema import Home, ServiceOrderChange, ServiceProvider, ServiceType
from hub.service_orders import (
    ORDER_STATES,
    TRANSITIONS,
    OrderError,
    OrderForbidden,
    OrderInvalid,
    change_state,
    monthly_order_figures,
    order_message,
    place_order,
    rate,
)
from hub.store import Store
from tests.support.factories import HOME, STATION, make_home
from tests.support.stores import fresh_database

NOW = 1_772_413_200.0


@pytest.fixture
def world(tmp_path):
    store = Store(fresh_database(tmp_path))
    with store.transaction() as session:
        save_station(session, STATION, name="站")
        save_station(session, "st2", name="清河站")
        save_home(session, make_home(), now=NOW)
        for station in (STATION, "st2"):
            session.add(ServiceType(station_id=station, code="meal", name_zh="助餐",
                                    name_en="Meals", active=True))  # fmt: skip
            session.add(ServiceType(station_id=station, code="bath", name_zh="助浴",
                                    name_en="Bathing", active=True))  # fmt: skip
            canteen = ServiceProvider(
                station_id=station, name=f"{station} 食堂", kind="provider", type_codes=["meal"]
            )
            session.add(canteen)
        session.flush()
        ids = {(t.station_id, t.code): t.id for t in session.scalars(select(ServiceType))} | {
            (p.station_id, "provider"): p.id for p in session.scalars(select(ServiceProvider))
        }
    yield store, ids
    store.close()


def order(store, ids, code: str = "meal", by: str = "李明") -> int:
    with store.transaction() as session:
        update = place_order(session, session.get(Home, HOME), type_id=ids[(STATION, code)],
                             wanted_at=NOW + 3600, notes="少盐", actor=by, now=NOW)  # fmt: skip
        return update.order["id"]


def move(store, order_id: int, to: str, *, staff: bool = True, **more):
    with store.transaction() as session:
        return change_state(session, order_id, to, actor="张丽" if staff else "李明",
                            staff=staff, now=NOW + 60, **more)  # fmt: skip


def test_an_order_goes_requested_to_done_with_each_change_recorded(world):
    store, ids = world
    order_id = order(store, ids)
    move(store, order_id, "accepted")
    assigned = move(store, order_id, "assigned", provider_id=ids[(STATION, "provider")])
    assert assigned.order["provider"]["name"] == "st1 食堂"
    move(store, order_id, "on_the_way")
    done = move(store, order_id, "done", note="已送达")
    assert done.order["state"] == "done"
    history = [(c["action"], c["actor"]) for c in done.order["history"]]
    assert history == [
        ("requested", "李明"), ("accepted", "张丽"), ("assigned", "张丽"),
        ("on_the_way", "张丽"), ("done", "张丽"),
    ]  # fmt: skip
    assert done.order["history"][-1]["detail"] == {"from": "on_the_way", "note": "已送达"}
    message = order_message(done, NOW)
    assert (message.type, message.station, message.resident) == ("service_order", STATION, HOME)
    with store.transaction() as session:
        rated = rate(session, order_id, 5, "饭菜可口", actor="李明", now=NOW + 120)
    assert (rated.order["rating"], rated.order["history"][-1]["action"]) == (5, "rated")
    with store.transaction() as session, pytest.raises(OrderError, match="already rated"):
        rate(session, order_id, 1, None, actor="李明", now=NOW + 180)


@pytest.mark.parametrize("state", ORDER_STATES[1:])
def test_every_change_the_table_does_not_allow_is_refused(world, state):
    store, ids = world
    path = {"accepted": [], "assigned": ["accepted"], "on_the_way": ["accepted", "assigned"],
            "done": ["accepted", "assigned", "on_the_way"], "cancelled": []}[state]  # fmt: skip
    order_id = order(store, ids)
    for step in [*path, state]:
        provider = ids[(STATION, "provider")] if step == "assigned" else None
        move(store, order_id, step, provider_id=provider)
    for to in ORDER_STATES[1:]:
        if to in TRANSITIONS[state]:
            continue
        with pytest.raises(OrderError, match=f"is {state}: it cannot become {to}"):
            move(store, order_id, to, provider_id=ids[(STATION, "provider")])
    with store.sessions() as session:  # nothing refused left a trace
        changes = session.scalars(select(ServiceOrderChange.action)).all()
        assert changes == ["requested", *path, state]


def test_the_family_may_cancel_before_anyone_is_on_it_and_do_nothing_else(world):
    store, ids = world
    order_id = order(store, ids)
    with pytest.raises(OrderForbidden):
        move(store, order_id, "accepted", staff=False)
    move(store, order_id, "accepted")
    assert move(store, order_id, "cancelled", staff=False).order["state"] == "cancelled"
    second = order(store, ids)
    move(store, second, "accepted")
    move(store, second, "assigned", provider_id=ids[(STATION, "provider")])
    with pytest.raises(OrderForbidden, match="assigned"):
        move(store, second, "cancelled", staff=False)
    assert move(store, second, "cancelled").order["state"] == "cancelled"  # the station may


def test_an_order_names_only_what_its_station_has(world):
    store, ids = world
    with pytest.raises(OrderInvalid, match="offers no service"):
        order(store, {(STATION, "meal"): ids[("st2", "meal")]})
    order_id = order(store, ids)
    move(store, order_id, "accepted")
    with pytest.raises(OrderInvalid, match="provider"):
        move(store, order_id, "assigned", provider_id=ids[("st2", "provider")])
    with pytest.raises(OrderInvalid, match="provider"):
        move(store, order_id, "assigned")
    with store.transaction() as session, pytest.raises(OrderError, match="once it is done"):
        rate(session, order_id, 4, None, actor="李明", now=NOW)


def test_monthly_figures_by_type_and_state(world):
    store, ids = world
    done, cancelled = order(store, ids), order(store, ids)
    order(store, ids, "bath")
    move(store, done, "accepted")
    move(store, done, "assigned", provider_id=ids[(STATION, "provider")])
    move(store, done, "done")
    move(store, cancelled, "cancelled")
    with store.sessions() as session:
        assert monthly_order_figures(session, [STATION], NOW - 1, NOW + 1) == {
            "bath": {"requested": 1}, "meal": {"cancelled": 1, "done": 1},
        }  # fmt: skip
        assert monthly_order_figures(session, ["st2"], NOW - 1, NOW + 1) == {}
        assert monthly_order_figures(session, [STATION], NOW + 1, NOW + 2) == {}
