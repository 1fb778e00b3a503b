"""Logging in on a slow connection, in a real Chromium against a real hub.

The log-in page asks the hub whether the browser is already logged in. A son who types his
name and password and taps 登录 before that answer arrives must be logged in, and what he
typed must never travel in an address (a form the browser sends by itself is a GET)."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, Route, expect

from tests.support.chromium import TIMEOUT, chromium
from tests.support.factories import FAMILY, PASSWORD, register, served, settings_for

HELD_S = 2.0  # how long the hub's answer to "who am I?" is held back


async def hold_back_who_am_i(page: Page) -> list[str]:
    """Delays every /auth/me; returns the list of every URL the page asks for."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    async def slow(route: Route) -> None:
        await asyncio.sleep(HELD_S)
        await route.continue_()

    await page.route("**/auth/me", slow)
    return asked


async def test_a_log_in_typed_before_the_page_has_asked_the_hub_goes_through(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub, homes=("h001",))
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        asked = await hold_back_who_am_i(phone)

        await phone.goto(f"{hub.url}/login")
        await phone.get_by_test_id("login-username").fill(FAMILY)
        await phone.get_by_test_id("login-password").fill(PASSWORD)
        await phone.get_by_test_id("login-submit").click()

        await expect(phone).to_have_url(f"{hub.url}/family", timeout=TIMEOUT)
        await expect(phone.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )
        assert not [url for url in asked if PASSWORD in url or "password=" in url]
