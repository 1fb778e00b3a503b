"""The dispatcher console in a real Chromium shows a banner while the hub is degraded, and
drops it when the hub is healthy again."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import DISPATCHER, register, served, settings_for


async def test_the_console_shows_a_banner_while_the_broker_is_gone(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, broker_down_after_s=0.5, reconnect_max_s=0.5)
    async with served(settings) as hub, chromium() as browser:
        await register(hub)
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await log_in(page, hub.url, DISPATCHER)
        await expect(page).to_have_url(f"{hub.url}/console", timeout=TIMEOUT)
        await expect(page.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )
        banner = page.get_by_test_id("health-banner")
        await expect(banner).to_have_count(0)

        mosquitto.stop()
        await expect(banner).to_be_visible(timeout=TIMEOUT)
        await expect(banner).to_have_attribute("data-kinds", "broker")
        await expect(banner).to_contain_text("告警可能延迟")
        await expect(banner).to_contain_text("与消息服务器断开")
        health = (await hub.http.get("/health")).json()
        assert health["state"] == "degraded" and health["problems"][0]["kind"] == "broker"

        mosquitto.restart()
        await expect(banner).to_have_count(0, timeout=TIMEOUT)
        assert (await hub.http.get("/health")).json()["state"] == "ok"
