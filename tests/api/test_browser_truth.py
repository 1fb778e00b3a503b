"""What the pages promise is true, in a real Chromium against a real hub.

A home that never reported is not "fine" on the console's overview nor in the family app;
the queue puts an unacknowledged fall above a minor alert and an active fall above a
cleared one (which stays, worded as still needing an acknowledgement and as what ended it,
never as "recovered"); an SOS not pressed again is not "recovered" on either page; the
family calls the station from the app and reads an alert's story; a fall without
accelerometer data asks for no window; the queue works from the keyboard; a case is closed
only with an outcome chosen, and can be reopened. The family's "all is well today" needs a
day without alerts; its past alerts are newest first; a summary without data says of which
day.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from hub.family_summary import make_summary
from hub.schema import Alert, Home, User
from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    PREFIX,
    STATION,
    event_message,
    register,
    served,
    settings_for,
    telemetry_message,
)
from tests.support.mqtt import publish, until

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


async def live(page: Page) -> None:
    await expect(page.get_by_test_id("connection")).to_have_attribute(
        "data-status", "live", timeout=TIMEOUT
    )


async def test_a_home_that_never_reported_is_not_fine_on_either_page(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)  # h001: its gateway never online, its bracelet never reported
        desk = await browser.new_page(viewport=DESK)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        await desk.get_by_test_id("tab-overview").click()
        tile = desk.locator('[data-testid=resident-tile][data-resident-id="h001"]')
        await expect(tile).to_have_attribute("data-wellbeing", "no_data", timeout=TIMEOUT)
        await expect(tile).to_contain_text("尚无数据")
        await expect(tile).not_to_contain_text("一切正常")

        phone = await browser.new_page(viewport=PHONE)
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        status = phone.get_by_test_id("family-status")
        await expect(status).to_have_attribute("data-status", "nodata", timeout=TIMEOUT)
        await expect(status).to_contain_text("尚无数据")
        await expect(status).not_to_contain_text("一切正常")
        await phone.get_by_test_id("lang-toggle").click()
        await expect(status).to_contain_text("No data yet")


async def test_the_queue_puts_an_active_fall_above_a_cleared_one(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub, homes=("h001", "h002"))
        desk = await browser.new_page(viewport=DESK)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        # A minor alert still going on, the active fall, then a newer fall after which a door
        # opened: newest-first would put the cleared fall on top, going-on-first the minor.
        await publish(
            mosquitto,
            [
                event_message("no_activity", seq=1, home="h002", severity="minor"),
                event_message("fall", seq=2, home="h002"),
            ],
        )
        await until(lambda: hub.hub.ingestor.counts.events == 2, what="the first alerts")
        door = {"recovered_by": "front_door", "metric": "contact"}
        await publish(
            mosquitto,
            [
                event_message("fall", seq=1, home="h001"),
                event_message("fall", "cleared", seq=2, home="h001", evidence=door),
            ],
        )
        items = desk.get_by_test_id("alert-item")
        await expect(items).to_have_count(3, timeout=TIMEOUT)
        await expect(items.nth(1)).to_have_attribute(
            "data-state", "cleared_unacknowledged", timeout=TIMEOUT
        )
        await expect(items.nth(0)).to_have_attribute("data-state", "active_unacknowledged")
        await expect(items.nth(0)).to_have_attribute("data-kind", "fall")
        await expect(items.nth(2)).to_have_attribute("data-severity", "minor")
        # Still there, worded as needing a person and as what ended it: a door opened
        # after the fall, which may be her or someone coming in, not "recovered".
        pill = items.nth(1).get_by_test_id("alert-state")
        await expect(pill).to_have_text("之后有活动 · 待受理")
        await items.nth(1).click()
        history = desk.get_by_test_id("history")
        await expect(history).to_contain_text("之后有活动：门或柜门被打开", timeout=TIMEOUT)
        await expect(history).not_to_contain_text("恢复")
        await desk.get_by_test_id("tab-overview").click()
        tile = desk.locator('[data-testid=resident-tile][data-resident-id="h002"]')
        await expect(tile).to_have_attribute("data-status", "critical", timeout=TIMEOUT)
        await expect(tile).to_contain_text("跌倒")
        await desk.reload()  # the hub's own order agrees
        await live(desk)
        await expect(items.nth(0)).to_have_attribute(
            "data-state", "active_unacknowledged", timeout=TIMEOUT
        )
        await expect(items.nth(1)).to_have_attribute("data-state", "cleared_unacknowledged")
        await expect(items.nth(2)).to_have_attribute("data-severity", "minor")


async def test_an_sos_not_pressed_again_is_not_recovered_on_either_page(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await publish(
            mosquitto,
            [
                event_message("sos", seq=1, evidence={"source": "button"}),
                event_message("sos", "cleared", seq=2, evidence={"presses": 1}),
            ],
        )
        await until(lambda: hub.hub.ingestor.counts.events == 2, what="the SOS and its end")
        desk = await browser.new_page(viewport=DESK)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        item = desk.get_by_test_id("alert-item")
        await expect(item.get_by_test_id("alert-state")).to_have_text(
            "未再按键 · 待受理", timeout=TIMEOUT
        )
        await item.click()
        await expect(desk.get_by_test_id("history")).to_contain_text("未再按键", timeout=TIMEOUT)

        phone = await browser.new_page(viewport=PHONE)
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        alert = phone.get_by_test_id("family-alert").first
        await expect(alert).to_contain_text("服务站还未响应", timeout=TIMEOUT)
        await alert.get_by_test_id("family-alert-open").click()
        story = alert.get_by_test_id("family-alert-history")
        await expect(story).to_contain_text("未再按键", timeout=TIMEOUT)
        for untrue in ("恢复", "好转"):
            await expect(phone.locator("body")).not_to_contain_text(untrue)


async def test_the_family_calls_the_station_and_reads_an_alerts_story(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        station = {"name": "颍州社区养老服务站", "phone": "0558-1234567"}
        (await hub.http.put(f"/stations/{STATION}", json=station)).raise_for_status()
        await publish(mosquitto, [event_message("sos", seq=1, evidence={"source": "button"})])
        await until(lambda: hub.hub.ingestor.counts.events == 1, what="the SOS")

        context = await browser.new_context(viewport=PHONE)
        login = {"username": FAMILY, "password": PASSWORD}
        assert (await context.request.post(f"{hub.url}/auth/login", data=login)).ok
        phone = await context.new_page()
        problems: list[str] = []
        phone.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        phone.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
        await phone.goto(f"{hub.url}/family")
        await live(phone)

        call = phone.get_by_test_id("call-station")
        await expect(call).to_be_visible(timeout=TIMEOUT)
        await expect(call).to_have_attribute("href", "tel:05581234567")
        await expect(call).to_contain_text("0558-1234567")

        alert = phone.get_by_test_id("family-alert").first
        await expect(alert.get_by_test_id("family-alert-kind")).to_have_text("紧急呼叫")
        await expect(alert).not_to_contain_text("紧急呼叫紧急呼叫")
        await alert.get_by_test_id("family-alert-open").click()
        story = alert.get_by_test_id("family-alert-history")
        await expect(story).to_contain_text("产生告警", timeout=TIMEOUT)
        assert problems == [], problems  # no console error, no failed request on load


async def test_the_queue_from_the_keyboard_and_a_radar_fall_asks_for_no_window(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub, homes=("h001", "h002"))
        desk = await browser.new_page(viewport=DESK)
        windows: list[str] = []
        desk.on("request", lambda r: windows.append(r.url) if "/window" in r.url else None)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        await publish(
            mosquitto,
            [
                event_message("fall", seq=1, home="h001", evidence={"source": "radar"}),
                event_message("fall", seq=1, home="h002", evidence={"source": "radar"}),
            ],
        )
        items = desk.get_by_test_id("alert-item")
        await expect(items).to_have_count(2, timeout=TIMEOUT)

        # Enter on a queue item opens its card; the next Tab is 受理.
        await items.nth(0).focus()
        await desk.keyboard.press("Enter")
        card = desk.locator("#card-alert")
        first = await items.nth(0).get_attribute("data-alert-id")
        await expect(card).to_have_attribute("data-alert-id", first, timeout=TIMEOUT)
        await desk.keyboard.press("Tab")
        await expect(desk.get_by_test_id("ack-button")).to_be_focused()

        # J moves to the next alert, A acknowledges it.
        await desk.keyboard.press("Escape")
        await desk.locator("body").focus()
        await desk.keyboard.press("j")
        second = await items.nth(1).get_attribute("data-alert-id")
        await expect(card).to_have_attribute("data-alert-id", second, timeout=TIMEOUT)
        await expect(desk.get_by_test_id("resident-name")).to_be_visible(timeout=TIMEOUT)
        await desk.keyboard.press("a")
        acked = desk.locator(f'[data-testid=alert-item][data-alert-id="{second}"]')
        await expect(acked).to_have_attribute("data-state", "active_acknowledged", timeout=TIMEOUT)
        assert windows == []  # radar falls: no accelerometer window asked for, no 404


async def test_resolve_asks_for_the_outcome_and_a_case_can_be_reopened(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        desk = await browser.new_page(viewport=DESK)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        await publish(mosquitto, [event_message("fall", seq=1)])
        item = desk.get_by_test_id("alert-item")
        await item.click(timeout=TIMEOUT)
        select = desk.get_by_test_id("outcome-select")
        await expect(select).to_have_value("")  # nothing preselected
        await desk.get_by_test_id("resolve-button").click()
        await expect(desk.locator(".toast").last).to_contain_text("请先选择处理结果")
        await expect(item).to_have_count(1)  # still open

        await select.select_option("false_alarm")
        await desk.get_by_test_id("resolve-button").click()
        await expect(item).to_have_count(0, timeout=TIMEOUT)
        reopen = desk.get_by_test_id("reopen-button")
        await expect(reopen).to_be_visible(timeout=TIMEOUT)
        await reopen.click()
        await expect(item).to_have_count(1, timeout=TIMEOUT)
        await expect(desk.get_by_test_id("history")).to_contain_text("重新打开（原结果：误报）")


def closed_case(kind: str, severity: str, started: float) -> Alert:
    """One of her cases, closed by the station ten minutes after it began."""
    return Alert(home_id=HOME, station_id=STATION, kind=kind, severity=severity, active=False,
                 acknowledged=True, started=started, raised_at=started,
                 updated_at=started + 600, cleared_at=started + 300,
                 acknowledged_at=started + 60, acknowledged_by="张丽",
                 resolved_at=started + 600, resolved_by="张丽", outcome="handled",
                 detector=kind, evidence={}, related=[], escalation_step=0)  # fmt: skip


async def test_all_is_well_today_only_on_a_day_without_alerts_past_ones_newest_first(
    mosquitto, tmp_path
):
    """Her home reports and she walked today: "今天一切正常". Then the day is one with an SOS
    and a low SpO2, both closed by the station: no longer "all is well" (the demo said so
    beside them) but what is known. Her past alerts read newest first, by when each
    happened (they came in the station's order: critical first); yesterday's summary
    without activity data says of which day, not "{day}". The console's tile agrees."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        now = time.time()
        seen = {device: {"last_seen": now - 60} for device in ("radar_bath", "sos_bed", "band")}
        status = {"state": "online", "home": HOME, "edge": HOME, "devices": seen}
        await publish(mosquitto, [
            (f"{PREFIX}/{HOME}/status", json.dumps(status).encode()),
            telemetry_message(1, [(now - 60, "band", "steps", 1200)]),
        ])  # fmt: skip
        await until(lambda: hub.hub.ingestor.counts.readings >= 1, what="her steps")
        yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
        with hub.hub.store.transaction() as session:
            user, home = session.get(User, FAMILY), session.get(Home, HOME)
            make_summary(session, user, home, yesterday, now, send=False)  # no data that day

        phone = await browser.new_page(viewport=PHONE)
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        banner = phone.get_by_test_id("family-status")
        await expect(banner).to_have_attribute("data-status", "fine", timeout=TIMEOUT)
        await expect(banner).to_have_text("今天一切正常")
        none = phone.get_by_test_id("summary-chart-none")
        await expect(none).to_have_text(f"{yesterday.isoformat()} 家中活动：无数据")

        # Today's SOS and low SpO2, closed since; and older cases, written in no order.
        days = [3, 1, 20, 9, 2]
        with hub.hub.store.transaction() as session:
            for n, (kind, severity) in enumerate([("sos", "critical"), ("low_spo2", "major")]):
                session.add(closed_case(kind, severity, now - 900 - n * 60))
            for back, severity in zip(days, ["minor", "critical", "major", "critical", "minor"],
                                      strict=True):  # fmt: skip
                session.add(closed_case("fall" if severity == "critical" else "battery_low",
                                        severity, now - back * 86400))  # fmt: skip
        await phone.reload()
        await expect(banner).to_have_attribute("data-status", "closed-today", timeout=TIMEOUT)
        await expect(banner).to_have_text("今天有 2 条告警，均已处理")
        past = phone.locator("#past-alerts [data-testid=family-alert]")
        await expect(past).to_have_count(7)
        kinds = [await item.get_attribute("data-kind") for item in await past.all()]
        assert kinds[:2] == ["sos", "low_spo2"], kinds  # today's, newest first
        began = [await item.get_attribute("data-started") for item in await past.all()]
        assert began == sorted(began, reverse=True), began
        shown = await past.locator(".fa-time").all_text_contents()
        assert shown[2].startswith("昨天"), shown  # yesterday, then 2, 3, 9 and 20 days ago
        await phone.get_by_test_id("lang-toggle").click()
        await expect(banner).to_have_text("Alerts today: 2, all closed by the station")

        # The station's overview says so too, not "一切正常" beside a day with an SOS.
        desk = await browser.new_page(viewport=DESK)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        await desk.get_by_test_id("tab-overview").click()
        tile = desk.locator(f'[data-testid=resident-tile][data-resident-id="{HOME}"]')
        await expect(tile).to_contain_text("今天 2 条告警", timeout=TIMEOUT)
        await expect(tile).not_to_contain_text("一切正常")
