"""An announced absence (外出登记) in a real Chromium, against a real hub and broker.

Her home reports and she moved today: both pages say all is well. Her son announces on his
phone that she is at his sister's until tomorrow evening: his app no longer says all is well
but that she is announced away, with who announced it; the dispatcher's tile and her card
(an SOS still comes through) carry the tag "外出登记至 ..." so that her silence surprises
nobody. She comes back: he taps "已回家", and both pages are as before.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PREFIX,
    event_message,
    register,
    served,
    settings_for,
    telemetry_message,
)
from tests.support.mqtt import publish, until

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def live(page: Page) -> None:
    await expect(page.get_by_test_id("connection")).to_have_attribute(
        "data-status", "live", timeout=TIMEOUT
    )


async def overview_tile(browser, url: str):  # type: ignore[no-untyped-def]
    """The dispatcher's console on its overview, and her tile there, said fine."""
    desk = await browser.new_page(viewport={"width": 1366, "height": 768})
    await log_in(desk, url, DISPATCHER)
    await live(desk)
    await desk.get_by_test_id("tab-overview").click()
    tile = desk.locator(f'[data-testid=resident-tile][data-resident-id="{HOME}"]')
    await expect(tile).to_have_attribute("data-wellbeing", "fine", timeout=TIMEOUT)
    return desk, tile


def all_is_well(now: float) -> list[tuple[str, bytes]]:
    """Her gateway online, every device just seen, her steps today."""
    seen = {device: {"last_seen": now - 60} for device in ("radar_bath", "sos_bed", "band")}
    status = {"state": "online", "home": HOME, "edge": HOME, "devices": seen}
    return [
        (f"{PREFIX}/{HOME}/status", json.dumps(status).encode()),
        telemetry_message(1, [(now - 60, "band", "steps", 1200)]),
    ]


async def test_the_son_announces_she_is_away_the_console_shows_it_and_he_ends_it(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await publish(mosquitto, all_is_well(time.time()))
        await until(lambda: hub.hub.ingestor.counts.readings >= 1, what="her steps")

        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        status = phone.get_by_test_id("family-status")
        await expect(status).to_have_attribute("data-status", "fine", timeout=TIMEOUT)
        desk, tile = await overview_tile(browser, hub.url)
        await expect(tile.get_by_test_id("away-tag")).to_have_count(0)

        # He announces it on his phone: from an hour ago until tomorrow 18:00, her time.
        here = datetime.now(SHANGHAI)
        until_day = (here + timedelta(days=1)).date()
        card = phone.get_by_test_id("family-away")
        await expect(card.get_by_test_id("away-none")).to_have_text("没有登记外出")
        start = (here - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        await card.get_by_test_id("away-from").fill(start)
        await card.get_by_test_id("away-until").fill(f"{until_day.isoformat()}T18:00")
        await card.get_by_test_id("away-note-input").fill("住在合肥女儿家")
        await card.get_by_test_id("away-announce").click()
        item = card.get_by_test_id("away-item")
        await expect(item).to_have_attribute("data-state", "current", timeout=TIMEOUT)
        await expect(item.get_by_test_id("away-state")).to_have_text("外出中")
        await expect(item.get_by_test_id("away-by")).to_have_text("登记人：李明")
        await expect(item.get_by_test_id("away-note")).to_have_text("住在合肥女儿家")
        until_text = f"{until_day.month}月{until_day.day}日 18:00"
        await expect(item).to_contain_text(until_text)
        # Never "all is well" while she is said away: away, and until when.
        await expect(status).to_have_attribute("data-status", "away", timeout=TIMEOUT)
        await expect(status).to_contain_text(f"王秀英已登记外出至 {until_text}")
        await expect(status).not_to_contain_text("一切正常")

        # The dispatcher's tile says so at once (the live feed), in place of "fine".
        tag = tile.get_by_test_id("away-tag")
        await expect(tag).to_have_text(f"外出登记至 {until_text}", timeout=TIMEOUT)
        await expect(tile).to_have_attribute("data-wellbeing", "away")
        await expect(tile).not_to_contain_text("一切正常")
        # An SOS still comes through, and her card carries the tag too.
        await publish(mosquitto, [event_message("sos", seq=2, evidence={"source": "button"})])
        await desk.get_by_test_id("tab-queue").click()
        await desk.get_by_test_id("alert-item").click(timeout=TIMEOUT)
        panel_tag = desk.locator("#detail").get_by_test_id("away-tag")
        await expect(panel_tag).to_have_text(f"外出登记至 {until_text}", timeout=TIMEOUT)
        await desk.screenshot(path=tmp_path / "console-away.png")
        await phone.screenshot(path=tmp_path / "family-away.png", full_page=True)

        # She is back early: he taps 已回家.
        await item.get_by_test_id("away-end").click()
        await expect(card.get_by_test_id("away-none")).to_be_visible(timeout=TIMEOUT)
        await expect(card.get_by_test_id("away-message")).to_have_text("已结束外出登记")
        await expect(desk.locator("#detail").get_by_test_id("away-tag")).to_have_count(
            0, timeout=TIMEOUT
        )
        (stored,) = (await hub.http.get(f"/residents/{HOME}/away")).json()
        assert (stored["state"], stored["by"]) == ("ended", FAMILY)


async def test_the_console_shows_an_absence_to_come_on_her_tile_and_card(mosquitto, tmp_path):
    """The son says today that she goes to his place tomorrow at 09:00 until the day after
    18:00: the dispatcher's tile and her card say so before it starts (将外出 ... 至 ...),
    with his note and name in the tag's title, so that nobody visits an empty flat."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await publish(mosquitto, all_is_well(time.time()))
        await until(lambda: hub.hub.ingestor.counts.readings >= 1, what="her steps")
        desk, tile = await overview_tile(browser, hub.url)
        await expect(tile.get_by_test_id("away-next-tag")).to_have_count(0)

        here = datetime.now(SHANGHAI)
        start, end = (here + timedelta(days=1)).date(), (here + timedelta(days=2)).date()
        son = await hub.client_for(FAMILY)
        body = {"start": f"{start}T09:00", "end": f"{end}T18:00", "note": "住在儿子家"}
        (await son.post(f"/residents/{HOME}/away", json=body)).raise_for_status()

        text = f"将外出 {start.month}月{start.day}日 09:00 至 {end.month}月{end.day}日 18:00"
        tag = tile.get_by_test_id("away-next-tag")  # at once, from the live feed
        await expect(tag).to_have_text(text, timeout=TIMEOUT)
        await expect(tag).to_have_attribute("title", "住在儿子家 · 登记人：李明")
        await expect(tile.get_by_test_id("away-tag")).to_have_count(0)  # not away yet
        await expect(tile).to_have_attribute("data-wellbeing", "fine")
        await desk.screenshot(path=tmp_path / "console-away-next-tile.png")
        await tile.click()
        card_tag = desk.locator("#detail").get_by_test_id("away-next-tag")
        await expect(card_tag).to_have_text(text, timeout=TIMEOUT)
        await desk.screenshot(path=tmp_path / "console-away-next.png")


async def test_an_alert_her_announced_absence_ended_reads_away_not_back_home(mosquitto, tmp_path):
    """She went out at 10:00 and was not back 6 h later: the station took the alert. Her
    son then announces she is at his sister's until tomorrow 18:00, and the edge ends the
    alert with that absence. His app says she is announced away until then (the alert, its
    pill, the banner, its story), never that she is back home or better: she is not."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await publish(mosquitto, all_is_well(time.time()))
        raised = {"summary": "went out at 10:00, not back after 6.0 h", "left_at": "10:00"}
        out = event_message("not_returned_home", seq=2, severity="major", evidence=raised)
        await publish(mosquitto, [out])
        await until(lambda: hub.hub.ingestor.counts.events >= 1, what="the alert")
        dispatcher = await hub.client_for(DISPATCHER)
        (alert,) = (await dispatcher.get("/alerts", params={"state": "open"})).json()
        acked = await dispatcher.post(f"/alerts/{alert['id']}/acknowledge", json={})
        acked.raise_for_status()

        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        item = phone.get_by_test_id("family-open-alerts").get_by_test_id("family-alert")
        await expect(item.get_by_test_id("family-alert-kind")).to_have_text(
            "外出未归", timeout=TIMEOUT
        )

        here = datetime.now(SHANGHAI)
        until_day = (here + timedelta(days=1)).date()
        son = await hub.client_for(FAMILY)
        body = {
            "start": (here - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end": f"{until_day.isoformat()}T18:00",
            "note": "住在合肥女儿家",
        }
        (await son.post(f"/residents/{HOME}/away", json=body)).raise_for_status()
        # The edge ends the alert with the absence (analytics' absence_since).
        edge_until = f"{until_day:%m-%d} 18:00"
        summary = f"announced away until {edge_until}: 住在合肥女儿家"
        ended = {"summary": summary, "away_until": edge_until}
        away = event_message(
            "not_returned_home", "cleared", seq=3, severity="major", evidence=ended
        )
        await publish(mosquitto, [away])

        until_text = f"{until_day.month}月{until_day.day}日 18:00"
        await expect(item.get_by_test_id("family-alert-kind")).to_have_text(
            f"外出未归（已登记外出至 {until_text}）", timeout=TIMEOUT
        )
        await expect(item.get_by_test_id("alert-state")).to_have_text("已登记外出 · 服务站已响应")
        status = phone.get_by_test_id("family-status")
        await expect(status).to_have_text("已登记外出，服务站仍在跟进这条告警")
        await item.get_by_test_id("family-alert-open").click()
        story = item.get_by_test_id("family-alert-history")
        await expect(story).to_contain_text(f"已结束：已登记外出至 {until_text}", timeout=TIMEOUT)
        for untrue in ("已回家", "已好转", "情况已恢复"):
            await expect(item).not_to_contain_text(untrue)
            await expect(status).not_to_contain_text(untrue)
        await phone.screenshot(path=tmp_path / "family-alert-away.png", full_page=True)

        await phone.get_by_test_id("lang-toggle").click()
        await expect(item.get_by_test_id("alert-state")).to_have_text(
            "Announced away · station responded", timeout=TIMEOUT
        )
        await expect(item).not_to_contain_text("back home")
        await expect(status).not_to_contain_text("better")


async def test_a_son_abroad_is_told_the_form_reads_her_home_time(mosquitto, tmp_path):
    """His phone keeps Tokyo time, her home Shanghai's: the form says its times are hers
    (GMT+08:00, not his GMT+09:00), and "until 18:00" is announced as her 18:00. A phone
    on her time (another name of the same offset too) says nothing of zones."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        abroad = await browser.new_page(
            viewport={"width": 390, "height": 844}, timezone_id="Asia/Tokyo"
        )
        await log_in(abroad, hub.url, FAMILY)
        await live(abroad)
        card = abroad.get_by_test_id("family-away")
        note = card.get_by_test_id("away-zone-note")
        await expect(note).to_have_text(
            "请按她家中的时间（GMT+08:00）填写，这里显示的时间也都是她家中的时间；"
            "您手机的时区与她不同（GMT+09:00）。",
            timeout=TIMEOUT,
        )
        here = datetime.now(SHANGHAI)
        until_day = (here + timedelta(days=1)).date()
        await card.get_by_test_id("away-from").fill(here.strftime("%Y-%m-%dT%H:%M"))
        await card.get_by_test_id("away-until").fill(f"{until_day.isoformat()}T18:00")
        await card.get_by_test_id("away-announce").click()
        item = card.get_by_test_id("away-item")
        await expect(item).to_contain_text(
            f"{until_day.month}月{until_day.day}日 18:00", timeout=TIMEOUT
        )
        (stored,) = (await hub.http.get(f"/residents/{HOME}/away")).json()
        assert stored["end"] == f"{until_day.isoformat()}T18:00:00+08:00"
        await abroad.screenshot(path=tmp_path / "family-away-abroad.png", full_page=True)

        for zone in ("Asia/Shanghai", "Asia/Hong_Kong"):
            home = await browser.new_page(viewport={"width": 390, "height": 844}, timezone_id=zone)
            await log_in(home, hub.url, FAMILY)
            await live(home)
            form = home.get_by_test_id("away-form")
            await expect(form.get_by_test_id("away-announce")).to_be_visible(timeout=TIMEOUT)
            await expect(form.get_by_test_id("away-zone-note")).to_have_count(0)


async def test_the_absence_form_says_what_is_wrong_in_chinese(mosquitto, tmp_path):
    """It read "an absence must end after it starts (start ...)" and "this absence would
    be over already ...": the API's English, for programs."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        card = phone.get_by_test_id("family-away")
        message = card.get_by_test_id("away-message")
        tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date().isoformat()
        days_ago = (datetime.now(SHANGHAI) - timedelta(days=3)).date().isoformat()
        yesterday = (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()
        for start, end, said in (
            (f"{tomorrow}T18:00", f"{tomorrow}T09:00", "结束时间须晚于开始时间"),
            (f"{days_ago}T09:00", f"{yesterday}T18:00", "结束时间已经过去"),
        ):
            await card.get_by_test_id("away-from").fill(start)
            await card.get_by_test_id("away-until").fill(end)
            await card.get_by_test_id("away-announce").click()
            await expect(message).to_contain_text(said, timeout=TIMEOUT)
            await expect(message).not_to_contain_text("absence")
        await expect(card.get_by_test_id("away-item")).to_have_count(0)
