"""The demo's care operations (#16): the station's visit tiers, service types and providers,
a visit plan for every home (one due today, one overdue, one not reached by phone twice, one
visited recently), and a few service orders in different states, with their histories: all
of it before the simulated day begins, and open orders only for times still to come.

Written straight into the store before the hub starts, as eldercare/demo.py registers the
homes; the hub's own loop then raises the overdue visit's alert.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from contracts.home import HomeConfig
from hub import service_orders, visits
from hub.schema import Home, ServiceProvider, ServiceType, VisitTier
from hub.store import Store

DAY = 86400.0
TIERS = (
    ("每日电话", "Daily phone call", 1, "phone"),
    ("每周电话或视频", "Weekly phone or video call", 7, "video"),
    ("每月上门", "Monthly home visit", 30, "home"),
)
SERVICES = (
    ("meal", "助餐", "Meals"),
    ("bath", "助浴", "Bathing"),
    ("clean", "助洁", "Cleaning"),
    ("doctor", "助医", "Doctor visit"),
    ("repair", "维修", "Home repairs"),
)
PROVIDERS = (
    ("社区长者食堂", "provider", "0558-2201001", ["meal"]),
    ("洁家家政", "provider", "0558-2201002", ["clean", "bath"]),
    ("王师傅维修", "provider", "139-0558-0003", ["repair"]),
    ("志愿者 陈静（时间银行）", "volunteer", "139-0558-0004", ["doctor", "meal"]),
)


def seed_care(database: str, homes: list[HomeConfig], station: str, now: float) -> None:
    store = Store(database)
    try:
        with store.transaction() as session:
            tiers = [
                VisitTier(station_id=station, name_zh=zh, name_en=en, every_days=days,
                          method=method, active=True)
                for zh, en, days, method in TIERS
            ]  # fmt: skip
            types = {
                code: ServiceType(station_id=station, code=code, name_zh=zh, name_en=en,
                                  active=True)
                for code, zh, en in SERVICES
            }  # fmt: skip
            providers = [
                ServiceProvider(station_id=station, name=name, kind=kind, phone=phone,
                                type_codes=codes, active=True)
                for name, kind, phone, codes in PROVIDERS
            ]  # fmt: skip
            session.add_all([*tiers, *types.values(), *providers])
            session.flush()
            for index, config in enumerate(homes):
                home = session.get(Home, config.home)
                assert home is not None  # registered just before
                _plan(session, home, tiers, index, now)
            first = session.get(Home, homes[0].home)
            assert first is not None
            _orders(session, first, types, providers, now)
    finally:
        store.close()


def _plan(session, home: Home, tiers: list[VisitTier], index: int, now: float) -> None:  # type: ignore[no-untyped-def]
    """Home 0: a daily call due today; 1: a weekly call overdue (an alert); 2: not reached by
    phone twice (a home visit due); 3 and on: a monthly visit done a few days ago."""
    scenario = index % 4
    tier = tiers[(0, 1, 1, 2)[scenario]]
    since = now - (0, 9, 3, 12)[scenario] * DAY
    who = ("王芳", "志愿者 陈静（时间银行）", "王芳", "张丽")[scenario]
    kind = "volunteer" if "志愿者" in who else "caregiver"
    visits.save_plan(session, home, tier_id=tier.id, responsible=who, responsible_kind=kind,
                     actor="张丽", now=since)  # fmt: skip

    def visit(days_ago: float, method: str, reached: bool, notes: str | None = None) -> None:
        visits.record_visit(session, home, at=now - days_ago * DAY, visitor=who,
                            recorded_by="张丽", method=method, reached=reached,
                            checks={"eating": "ok", "mood": "ok"} if reached else {},
                            notes=notes)  # fmt: skip

    if scenario == 0:
        visit(1, "phone", True, "精神不错，午饭吃了一碗面")
    elif scenario == 1:
        visit(8.5, "video", True, "视频里看着气色好")
    elif scenario == 2:
        visit(2.9, "phone", True, "说腿有点疼")
        visit(0.2, "phone", False, "无人接听")
        visit(0.1, "phone", False, "仍无人接听")
    else:
        visit(4, "home", True, "家里整洁，药按时吃")


def _orders(session, home: Home, types, providers, now: float) -> None:  # type: ignore[no-untyped-def]
    """A lunch the son ordered last night for tomorrow, a cleaning for tomorrow morning
    with its provider named, yesterday's bath done and rated.

    ``now`` is the start of the simulated day (06:00), and its clock runs on to the present:
    every change is in the past of the whole run, and each open order's state stays true
    all day (the first wanted time is tomorrow 09:00): no "on the way" at 06:30 still so at
    13:30. Tomorrow is the simulated day's, which is never before the real today."""
    son, desk = "李明", "张丽"
    zone = ZoneInfo(home.timezone)
    day = datetime.fromtimestamp(now, zone).date() + timedelta(days=1)
    tomorrow = datetime.combine(day, time(0), zone).timestamp()
    lunch = service_orders.place_order(session, home, type_id=types["meal"].id,
                                       wanted_at=tomorrow + 11.5 * 3600, notes="少盐，软一点",
                                       actor=son, now=now - 9 * 3600)  # fmt: skip
    assert lunch.order["state"] == "requested"
    clean = service_orders.place_order(session, home, type_id=types["clean"].id,
                                       wanted_at=tomorrow + 9 * 3600, notes="厨房和卫生间",
                                       actor=desk, now=now - 14 * 3600)  # fmt: skip
    steps = [("accepted", None), ("assigned", providers[1].id)]
    for n, (to, provider) in enumerate(steps):
        at = now - 13 * 3600 + n * 600  # yesterday 17:00 and 17:10
        service_orders.change_state(session, clean.order["id"], to, actor=desk, staff=True,
                                    now=at, provider_id=provider)  # fmt: skip
    bath = service_orders.place_order(session, home, type_id=types["bath"].id,
                                      wanted_at=now - DAY + 3600, notes=None, actor=son,
                                      now=now - 1.5 * DAY)  # fmt: skip
    steps = [("accepted", None), ("assigned", providers[1].id), ("on_the_way", None),
             ("done", None)]  # fmt: skip
    for n, (to, provider) in enumerate(steps):
        service_orders.change_state(session, bath.order["id"], to, actor=desk, staff=True,
                                    now=now - DAY + n * 1200, provider_id=provider)  # fmt: skip
    service_orders.rate(session, bath.order["id"], 5, "阿姨很细心", actor=son, now=now - 0.8 * DAY)
