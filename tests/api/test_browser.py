"""The dispatcher console and the family app in a real Chromium, against a real hub.

A dispatcher logs in, sees a fall appear live, acknowledges and resolves it; the family
member sees the state change to acknowledged with the dispatcher's name, and cannot reach
another resident.
"""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    event_message,
    home_config,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish


async def test_a_fall_from_the_console_to_the_family_phone(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub, homes=("h001",))
        await hub.http.put("/stations/st2", json={"name": "清河站"})
        await hub.http.put("/homes/h002", json=home_config("h002", station="st2"))
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        phone = await browser.new_page(viewport={"width": 390, "height": 844})

        await log_in(desk, hub.url, DISPATCHER)
        await expect(desk).to_have_url(f"{hub.url}/console", timeout=TIMEOUT)
        await expect(desk.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )
        await log_in(phone, hub.url, FAMILY)
        await expect(phone).to_have_url(f"{hub.url}/family", timeout=TIMEOUT)
        await expect(phone.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )
        # No reading of her yet: the page does not know whether she is up, and says so
        # rather than "not up yet".
        await expect(phone.get_by_test_id("got-up")).to_contain_text("暂无法判断")

        # The fall arrives while both pages are open: no reload.
        evidence = {"source": "wearable", "peak_g": 4.2, "still_s": 45}
        await publish(mosquitto, [event_message("fall", seq=1, evidence=evidence)])
        item = desk.locator('[data-testid=alert-item][data-kind="fall"]')
        await expect(item).to_be_visible(timeout=TIMEOUT)
        await expect(item).to_have_attribute("data-state", "active_unacknowledged")
        family_alert = phone.locator('[data-testid=family-alert][data-kind="fall"]').first
        await expect(family_alert).to_have_attribute(
            "data-state", "active_unacknowledged", timeout=TIMEOUT
        )

        await item.click()
        await expect(desk.get_by_test_id("evidence")).to_contain_text("4.2 g")
        await desk.get_by_test_id("ack-button").click()
        await expect(item).to_have_attribute("data-state", "active_acknowledged", timeout=TIMEOUT)

        # The son sees who is handling it, live.
        await expect(family_alert).to_have_attribute(
            "data-state", "active_acknowledged", timeout=TIMEOUT
        )
        await expect(family_alert.get_by_test_id("handled-by")).to_contain_text("张丽")
        await phone.screenshot(path=tmp_path / "family.png", full_page=True)
        await desk.screenshot(path=tmp_path / "console.png")

        await desk.get_by_test_id("outcome-select").select_option("hospital")
        await desk.get_by_test_id("resolve-button").click()
        await expect(item).to_have_count(0, timeout=TIMEOUT)  # it leaves the open queue
        await expect(family_alert).to_have_attribute("data-state", "resolved", timeout=TIMEOUT)

        # Another resident is not there for the son, whatever he types.
        other = await phone.request.get(f"{hub.url}/residents/h002")
        assert other.status == 404
        alerts = await phone.request.get(f"{hub.url}/alerts?resident=h002&state=all")
        assert await alerts.json() == []
