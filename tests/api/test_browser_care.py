"""Visits and service orders in a real Chromium, against a real hub.

A visit is due on the dispatcher's care tab, an attempt that did not reach her leaves it
there, a visit that did takes it off "today"; her son sees both on his phone as they are
recorded. A son orders a meal on his phone, the
dispatcher accepts it, assigns the canteen and marks it on the way and done; the son sees
each state arrive live, and rates it.
"""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    register,
    seed_care,
    served,
    settings_for,
)


async def live(page) -> None:
    await expect(page.get_by_test_id("connection")).to_have_attribute(
        "data-status", "live", timeout=TIMEOUT
    )


async def test_a_visit_is_due_recorded_and_leaves_today(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        care = await seed_care(hub)
        plan = {"tier": care["daily"], "responsible": "王芳"}
        (await hub.http.put(f"/visit-plans/{HOME}", json=plan)).raise_for_status()
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        await expect(desk.get_by_test_id("care-visits-count")).to_have_text("1", timeout=TIMEOUT)
        await desk.get_by_test_id("tab-care").click()
        item = desk.locator(f'[data-testid=visit-item][data-resident="{HOME}"]')
        await expect(item).to_have_attribute("data-state", "due", timeout=TIMEOUT)
        await expect(item).to_contain_text("今日应探访")
        await expect(item).to_contain_text("电话")
        son = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(son, hub.url, FAMILY)
        await live(son)
        await expect(son.get_by_test_id("family-visit-list")).to_contain_text("还没有探访记录")

        # A call nobody answered: recorded, and she is still to be reached today.
        await item.get_by_test_id("visit-record-open").click()
        await item.get_by_test_id("visit-reached").select_option("no")
        await item.get_by_test_id("visit-save").click()
        await expect(item).to_contain_text("已有 1 次未联系上", timeout=TIMEOUT)

        await item.get_by_test_id("visit-record-open").click()
        await item.get_by_test_id("visit-check-medication").select_option("concern")
        await item.get_by_test_id("visit-check-eating").select_option("ok")
        await item.get_by_test_id("visit-notes").fill("降压药快吃完了")
        # The list redraws live meanwhile (a son orders a meal): the form keeps what is in it.
        order = {"resident": HOME, "type": care["meal"], "wanted_at": "2026-12-06T11:30:00"}
        (await hub.http.post("/service-orders", json=order)).raise_for_status()
        await expect(desk.get_by_test_id("order-item")).to_have_count(1, timeout=TIMEOUT)
        await expect(item.get_by_test_id("visit-check-medication")).to_have_value("concern")
        await expect(item.get_by_test_id("visit-notes")).to_have_value("降压药快吃完了")
        await item.get_by_test_id("visit-follow-up").fill("明天送药")
        await item.get_by_test_id("visit-save").click()
        await expect(item).to_have_count(0, timeout=TIMEOUT)
        await expect(desk.get_by_test_id("visits-empty")).to_be_visible()
        await expect(desk.get_by_test_id("care-visits-count")).to_have_text("")
        await desk.screenshot(path=tmp_path / "care.png")

        # Her son saw both arrive, newest first, as recorded: the call that did not reach
        # her too.
        seen = son.get_by_test_id("family-visit")
        await expect(seen).to_have_count(2, timeout=TIMEOUT)
        await expect(seen.nth(0)).to_have_attribute("data-reached", "true")
        for text in (
            "已联系上",
            "探访人：张丽",
            "用药需关注",
            "饮食正常",
            "降压药快吃完了",
            "明天送药",
        ):
            await expect(seen.nth(0)).to_contain_text(text)
        await expect(seen.nth(1)).to_have_attribute("data-reached", "false")
        await expect(seen.nth(1)).to_contain_text("未联系上")
        # In English each check is a phrase of its own ("Eatingfine" was one word).
        await son.get_by_test_id("lang-toggle").click()
        await expect(seen.nth(0).get_by_test_id("family-visit-checks")).to_have_text(
            re.compile(r"^(Medication: concern · Eating: fine|Eating: fine · Medication: concern)$")
        )
        await son.get_by_test_id("lang-toggle").click()
        await son.screenshot(path=tmp_path / "family-visits.png", full_page=True)

        visits = (await hub.http.get("/visits", params={"resident": HOME})).json()
        assert [(v["reached"], v["visitor"], v["checks"]) for v in visits] == [
            (True, "张丽", {"medication": "concern", "eating": "ok"}),
            (False, "张丽", {}),
        ]
        assert visits[0]["follow_up"] == "明天送药"


async def test_a_son_orders_a_meal_the_dispatcher_assigns_it_he_sees_it_done_and_rates_it(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await seed_care(hub)
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(phone, hub.url, FAMILY)
        await live(phone)
        await log_in(desk, hub.url, DISPATCHER)
        await live(desk)
        await desk.get_by_test_id("tab-care").click()

        await phone.get_by_test_id("order-type").select_option(label="助餐")
        await phone.get_by_test_id("order-when").fill("2026-12-06T11:30")
        await phone.get_by_test_id("order-notes").fill("少盐，软一点")
        await phone.get_by_test_id("order-place").click()
        mine = phone.get_by_test_id("family-order").first
        await expect(mine).to_have_attribute("data-state", "requested", timeout=TIMEOUT)

        order = desk.get_by_test_id("order-item").first  # arrived live on the console
        await expect(order).to_contain_text("少盐，软一点", timeout=TIMEOUT)
        await order.get_by_test_id("order-to-accepted").click()
        await expect(mine).to_have_attribute("data-state", "accepted", timeout=TIMEOUT)
        await expect(mine.get_by_test_id("family-order-state")).to_have_text("已受理")

        await order.get_by_test_id("order-provider").select_option(label="社区长者食堂 (服务商)")
        await order.get_by_test_id("order-to-assigned").click()
        await expect(mine).to_have_attribute("data-state", "assigned", timeout=TIMEOUT)
        await expect(mine).to_contain_text("社区长者食堂")
        await order.get_by_test_id("order-to-on_the_way").click()
        await expect(mine.get_by_test_id("family-order-state")).to_have_text(
            "服务人员在路上", timeout=TIMEOUT
        )
        await order.get_by_test_id("order-to-done").click()
        await expect(mine).to_have_attribute("data-state", "done", timeout=TIMEOUT)
        await expect(order).to_have_count(0, timeout=TIMEOUT)  # off the station's open list

        await mine.get_by_test_id("rate-5").click()
        await expect(mine.get_by_test_id("family-order-rated")).to_contain_text("5 星")
        await phone.screenshot(path=tmp_path / "family-order.png", full_page=True)
        (stored,) = (await hub.http.get("/service-orders")).json()
        assert (stored["state"], stored["rating"], stored["created_by"]) == ("done", 5, "李明")
