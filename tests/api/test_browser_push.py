"""The family app's side of Web Push, in a real Chromium whose push service is off.

With no push service to subscribe to (the network is off in tests), turning notifications on
still works for the open app, and the line under the button says they come only while it is
open. The service worker shows what the hub pushes: a push message delivered to it through
the DevTools protocol (what the browser does once it has decrypted one; tests/api/
test_webpush.py checks the hub's signed, encrypted request) becomes a notification with the
alert's text, one per alert.
"""

from __future__ import annotations

import asyncio
import json

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import FAMILY, register, served, settings_for

PHONE = {"width": 390, "height": 844}


async def test_the_family_app_turns_notifications_on_and_shows_a_pushed_alert(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        context = await browser.new_context(viewport=PHONE)
        await context.grant_permissions(["notifications"], origin=hub.url)
        page = await context.new_page()
        devtools = await context.new_cdp_session(page)
        registrations: asyncio.Queue[str] = asyncio.Queue()

        def registered(event: dict[str, list[dict[str, str]]]) -> None:
            for registration in event["registrations"]:
                if registration["scopeURL"].endswith("/family"):
                    registrations.put_nowait(registration["registrationId"])

        devtools.on("ServiceWorker.workerRegistrationUpdated", registered)
        await devtools.send("ServiceWorker.enable")
        await log_in(page, hub.url, FAMILY)
        await page.wait_for_url(f"{hub.url}/family")
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")

        state = page.get_by_test_id("notify-state")
        await expect(state).to_have_attribute("data-push", "unavailable", timeout=TIMEOUT)
        await expect(state).to_contain_text("仅在本应用打开时")

        registration_id = await asyncio.wait_for(registrations.get(), 10)
        message = {"title": "紧急：王秀英 跌倒", "body": "卫生间 · 刚刚", "tag": "alert-7"}
        message |= {"url": "/family"}
        for _ in range(2):  # the same alert twice: one notification, replaced
            await devtools.send(
                "ServiceWorker.deliverPushMessage",
                {
                    "origin": hub.url,
                    "registrationId": registration_id,
                    "data": json.dumps(message, ensure_ascii=False),
                },
            )
        shown = []
        for _ in range(50):
            shown = await page.evaluate(
                """async () => {
                     const registration = await navigator.serviceWorker.ready;
                     const shown = await registration.getNotifications();
                     return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag}));
                   }"""
            )
            if shown:
                break
            await page.wait_for_timeout(100)
        assert shown == [{"title": "紧急：王秀英 跌倒", "body": "卫生间 · 刚刚", "tag": "alert-7"}]
        await context.close()
