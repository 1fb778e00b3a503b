"""Outcome feedback in a real Chromium: the dispatcher who resolves a routine alert as a false
alarm sees that the home's limit was loosened; an admin undoes it from the same card; the
family's phone shows the false alarm and nothing of the limit."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    ADMIN_PASSWORD,
    DISPATCHER,
    FAMILY,
    HOME,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish


async def test_the_console_shows_the_loosened_limit_and_an_admin_undoes_it(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        await log_in(desk, hub.url, DISPATCHER)
        await expect(desk.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )
        await publish(mosquitto, [event_message("no_activity", seq=1, severity="major")])
        item = desk.locator('[data-testid=alert-item][data-kind="no_activity"]')
        await expect(item).to_be_visible(timeout=TIMEOUT)
        alert_id = await item.get_attribute("data-alert-id")
        await item.click()
        await desk.get_by_test_id("outcome-select").select_option("false_alarm")
        await desk.get_by_test_id("resolve-button").click()

        line = desk.get_by_test_id("adapted")
        await expect(line).to_have_attribute("data-action", "adapted", timeout=TIMEOUT)
        await expect(line).to_contain_text("长时间无活动")
        await expect(line).to_contain_text("×1 → ×1.25")
        await expect(desk.get_by_test_id("undo-adapt")).to_have_count(0)  # a dispatcher's card
        history = desk.get_by_test_id("history")
        await expect(history).to_contain_text("×1 → ×1.25")

        admin = await browser.new_page(viewport={"width": 1366, "height": 768})
        await log_in(admin, hub.url, "admin", ADMIN_PASSWORD)
        # An admin lands on the operator pages, which link to the console.
        await expect(admin).to_have_url(f"{hub.url}/admin#stations", timeout=TIMEOUT)
        await admin.goto(f"{hub.url}/console#alert-{alert_id}")
        await admin.reload()  # a new fragment alone does not load the page again
        await expect(admin.get_by_test_id("adapt-now")).to_contain_text("×1.25", timeout=TIMEOUT)
        await admin.get_by_test_id("undo-adapt").click()
        await expect(admin.get_by_test_id("toast").last).to_contain_text("×1", timeout=TIMEOUT)
        await expect(admin.get_by_test_id("adapt-now")).to_contain_text("×1", timeout=TIMEOUT)
        await expect(admin.get_by_test_id("undo-adapt")).to_have_count(0)
        seen = (await hub.http.get(f"/homes/{HOME}/feedback")).json()
        assert seen["factors"]["no_activity"] == 1.0
        assert seen["changes"][0]["reason"] == "admin"

        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(phone, hub.url, FAMILY)
        past = phone.locator('[data-testid=family-alert][data-kind="no_activity"]')
        await expect(past).to_contain_text("误报", timeout=TIMEOUT)
        assert "×1" not in await phone.locator("body").inner_text()
