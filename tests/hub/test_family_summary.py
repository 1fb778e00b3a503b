"""The family's morning summary (hub.summary_facts, hub.family_summary) on a real store: a
hand-built week of one resident, the words said about her day, and the scheduler making and
sending each summary once, across a restart."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hub.accounts import save_user
from hub.family_summary import SummaryScheduler
from hub.schema import Alert, Delivery, FamilySummary, Home, ReadingRow, User
from hub.store import Store
from hub.summary_facts import day_facts, summary_text
from tests.support.factories import BAND, device, make_home, register_homes
from tests.support.stores import fresh_database

TZ = ZoneInfo("Asia/Shanghai")
DEVICES = (
    device("pir_bed", "motion", "bedroom", "zigbee2mqtt:p1"),
    device("pir_hall", "motion", "living_room", "zigbee2mqtt:p2"),
    device("bath_door", "door", "bathroom_door", "zigbee2mqtt:d1"),
    device("front_door", "door", "front_door", "zigbee2mqtt:d2"),
    BAND,
)
YESTERDAY = date(2026, 3, 9)  # the day summed up on the morning of the 10th
PHONE = "13800000000"  # the son's, as in the factories' contacts


def at(day: date, hour: int, minute: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).timestamp()


def a_day(day: date, *, steps: int, outing: bool, up: tuple[int, int]) -> list[ReadingRow]:
    """Up at ``up`` (from the bedroom into the hall), about the flat every hour till 21:00,
    to bed at 22:00; out 09:00-10:15 if ``outing``; heart rate at 10:00 and 15:00."""
    r = lambda ts, dev, metric, number=None, text=None: ReadingRow(  # noqa: E731
        home_id="h001", device=dev, metric=metric, ts=ts, number=number, text=text
    )
    rows = [
        r(at(day, *up), "pir_bed", "motion", 1.0),
        r(at(day, *up) + 60, "pir_hall", "motion", 1.0),
    ]
    for hour in range(up[0] + 1, 22):
        if outing and hour in (9, 10):
            continue
        rows.append(r(at(day, hour, 5), "pir_hall", "motion", 1.0))
    if outing:
        rows += [r(at(day, 9, 0), "front_door", "contact", text="open"),
                 r(at(day, 9, 0) + 20, "front_door", "contact", text="closed"),
                 r(at(day, 10, 15), "front_door", "contact", text="open"),
                 r(at(day, 10, 15) + 20, "front_door", "contact", text="closed"),
                 r(at(day, 10, 16), "pir_hall", "motion", 1.0)]  # fmt: skip
    rows += [
        r(at(day, 21, 50), "pir_hall", "motion", 1.0),
        r(at(day, 22, 0), "pir_bed", "motion", 1.0),
    ]
    rows += [r(at(day, 20, 0), "band", "steps", float(steps)),
             r(at(day, 10, 0), "band", "heart_rate", 64.0),
             r(at(day, 15, 0), "band", "heart_rate", 91.0)]  # fmt: skip
    return rows


def night_bathroom(day: date, hour: int) -> list[ReadingRow]:
    """Out of bed into the bathroom and back, in the night after ``day``."""
    nxt = day + timedelta(days=1)
    r = lambda ts, dev, metric, number=None, text=None: ReadingRow(  # noqa: E731
        home_id="h001", device=dev, metric=metric, ts=ts, number=number, text=text
    )
    return [r(at(nxt, hour, 0), "pir_bed", "motion", 1.0),
            r(at(nxt, hour, 1), "bath_door", "contact", text="open"),
            r(at(nxt, hour, 1) + 10, "bath_door", "contact", text="closed"),
            r(at(nxt, hour, 6), "bath_door", "contact", text="open"),
            r(at(nxt, hour, 6) + 10, "bath_door", "contact", text="closed"),
            r(at(nxt, hour, 7), "pir_bed", "motion", 1.0)]  # fmt: skip


def world(tmp_path, *, summary_at: str = "07:30") -> Store:  # type: ignore[no-untyped-def]
    store = Store(fresh_database(tmp_path))
    register_homes(store, make_home(devices=DEVICES))
    with store.transaction() as session:
        save_user(session, "li.ming", name="李明", role="family", password="pw-long-enough",
                  phone=PHONE, residents=["h001"])  # fmt: skip
        session.get(User, "li.ming").summary_at = summary_at
        # The doors say their state when installed (a first report is only that).
        installed = at(YESTERDAY - timedelta(days=8), 6)
        session.add_all(
            ReadingRow(home_id="h001", device=door, metric="contact", ts=installed, text="closed")
            for door in ("bath_door", "front_door")
        )
        for back in range(8, 0, -1):  # her usual week: 6000 steps, up at 06:30
            day = YESTERDAY - timedelta(days=back)
            session.add_all(a_day(day, steps=6000, outing=False, up=(6, 30)))
        # yesterday: few steps, an outing; up late this morning; the bathroom twice at night
        session.add_all(a_day(YESTERDAY, steps=1200, outing=True, up=(6, 30)))
        session.add_all(night_bathroom(YESTERDAY, 2) + night_bathroom(YESTERDAY, 4))
        today = YESTERDAY + timedelta(days=1)
        session.add_all(a_day(today, steps=100, outing=False, up=(8, 40))[:2])
        session.add(Alert(home_id="h001", station_id="st1", kind="no_activity", severity="major",
                          started=at(today, 8), raised_at=at(today, 8), updated_at=at(today, 8),
                          detector="no_activity", evidence={}, related=[]))  # fmt: skip
    return store


def test_the_summary_of_a_hand_built_day(tmp_path):
    store = world(tmp_path)
    with store.sessions() as session:
        home = session.get(Home, "h001")
        facts = day_facts(session, None, home, YESTERDAY, at(YESTERDAY + timedelta(days=1), 9))
    # To bed at 22:00; out of the bedroom into the hall at 08:41 this morning.
    assert (facts["night_known"], facts["went_to_rest"], facts["up_at"]) == (True, "22:00", "08:41")
    assert facts["bathroom_night"] == 2
    assert facts["outings"] == [["09:00", "10:15"]]
    assert facts["steps"] == 1200 and facts["heart_rate"] == {"low": 64.0, "high": 91.0}
    # the hour of getting up: the bedroom and the hall; 10:00: the door twice and the hall
    assert facts["activity_by_hour"][6] == 2 and facts["activity_by_hour"][10] == 3
    assert facts["activity_by_hour"][23] == 0
    english = summary_text(facts, "en")
    assert "slept 22:00–08:41, got up at 08:41" in english
    assert "bathroom at night: 2 times" in english and "outings: 1 (09:00–10:15)" in english
    assert "1200 steps, usually about 6000" in english
    assert "up at 08:41, usually about 06:30" in english
    assert "heart rate 64–91 bpm" in english
    # This morning's alert is not yesterday's, and it is still open.
    assert "No alerts that day; open alerts: 1 (" in english
    chinese = summary_text(facts, "zh")
    assert "睡眠 22:00–08:41" in chinese and "夜间如厕 2 次" in chinese and "步数 1200" in chinese


def test_a_day_with_a_fall_that_ended_in_hospital_says_so(tmp_path):
    """The summary said only "no open alerts" of a day whose fall took her to hospital
    (closed, so not open): a son read a quiet day. The day's alerts are listed with how each
    ended, whatever is still open after them."""
    store = world(tmp_path)
    with store.transaction() as session:
        fell = at(YESTERDAY, 15)
        session.add(Alert(home_id="h001", station_id="st1", kind="fall", severity="critical",
                          started=fell, raised_at=fell, updated_at=fell + 1800, active=False,
                          resolved_at=fell + 1800, resolved_by="张丽", outcome="hospital",
                          detector="fall", evidence={}, related=[]))  # fmt: skip
        home = session.get(Home, "h001")
        facts = day_facts(session, None, home, YESTERDAY, at(YESTERDAY + timedelta(days=1), 9))
    assert facts["day_alerts"] == [{"kind": "fall", "outcome": "hospital"}]
    chinese = summary_text(facts, "zh")
    assert "当天告警 1 条：跌倒（送医）；未处理的告警 1 条" in chinese
    english = summary_text(facts, "en")
    assert "1 alert that day: Fall (taken to hospital); open alerts: 1 (No activity)" in english


def test_a_day_without_data_says_so(tmp_path):
    store = Store(fresh_database(tmp_path))
    register_homes(store, make_home(devices=DEVICES))
    with store.sessions() as session:
        home = session.get(Home, "h001")
        facts = day_facts(session, None, home, YESTERDAY, at(YESTERDAY + timedelta(days=1), 9))
    assert facts["steps"] is None and facts["heart_rate"] is None and facts["outings"] is None
    assert facts["activity_by_hour"] is None and facts["bathroom_night"] is None
    english = summary_text(facts, "en")
    for said in ("sleep: no data", "steps: no data", "outings: no data", "heart rate: no data",
                 "Too little data from her past week to compare"):  # fmt: skip
        assert said in english
    assert "fine" not in english and "Nothing unusual" not in english


def test_the_scheduler_makes_and_sends_each_summary_once(tmp_path):
    store = world(tmp_path)
    morning = YESTERDAY + timedelta(days=1)
    targets = {"sms": "json://127.0.0.1:9/sms?to={phone}"}
    now = [at(morning, 7, 0)]

    def scheduler() -> SummaryScheduler:
        async def store_failed(where: str, exc: BaseException) -> bool:
            raise AssertionError(f"{where}: {exc}")

        return SummaryScheduler(
            store, contact_targets=targets, language="zh", influx=lambda: None,
            deliveries_ready=asyncio.Event(), store_failed=store_failed, clock=lambda: now[0],
        )  # fmt: skip

    first = scheduler()
    assert first.make_due() == 0  # 07:00: before her son's 07:30
    now[0] = at(morning, 7, 31)
    assert first.make_due() == 1
    assert first.make_due() == 0
    restarted = scheduler()  # a restart: the store says it was made
    now[0] = at(morning, 11, 0)
    assert restarted.make_due() == 0
    with store.sessions() as session:
        made = session.scalars(select(FamilySummary)).one()
        assert (made.username, made.home_id, made.day) == ("li.ming", "h001", "2026-03-09")
        deliveries = session.scalars(select(Delivery)).all()
        # his own channel: the contacts' entry with his phone, through the sms template
        assert [(d.target, d.audience, d.state) for d in deliveries] == [
            (f"json://127.0.0.1:9/sms?to={PHONE}", "summary", "pending")
        ]
        assert deliveries[0].summary_id == made.id and deliveries[0].alert_id is None
        # at 07:31 she was not up yet (she got up at 08:41): the summary says so
        assert "22:00 入睡，到 07:31 未见起床迹象" in deliveries[0].body
    # The next morning, the next day's summary.
    now[0] = at(morning + timedelta(days=1), 7, 45)
    assert restarted.make_due() == 1
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FamilySummary)) == 2


def test_a_summary_made_long_after_its_time_is_shown_but_not_sent(tmp_path):
    store = world(tmp_path)
    morning = YESTERDAY + timedelta(days=1)

    async def store_failed(where: str, exc: BaseException) -> bool:
        raise AssertionError(where)

    late = SummaryScheduler(
        store, contact_targets={"sms": "json://127.0.0.1:9/sms?to={phone}"}, language="en",
        influx=lambda: None, deliveries_ready=asyncio.Event(), store_failed=store_failed,
        clock=lambda: at(morning, 20, 0),
    )  # fmt: skip
    assert late.make_due() == 1
    with store.sessions() as session:
        assert session.scalars(select(FamilySummary)).one().channels == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
