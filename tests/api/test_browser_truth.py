"""What the pages promise is true, in a real Chromium against a real hub.

A home that never reported is not "fine" on the console's overview nor in the family app; the
queue puts an unacknowledged fall above a minor alert and an active fall above a cleared
one (which stays, worded as still needing an acknowledgement and as what ended it, never as
"recovered"); an SOS not pressed again is not "recovered" on either page; the family calls the station from the app and reads an alert's story; a
fall without accelerometer data asks for no window; the queue works from the keyboard; a case
is closed only with an outcome chosen, and can be reopened.
"""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    PASSWORD,
    STATION,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish, until

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
