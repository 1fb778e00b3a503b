"""The console's alarm when the browser blocks its sound, in a real Chromium.

After every reload a browser blocks sound until the page is clicked (its autoplay policy).
Headless Chromium does not apply that policy to Web Audio, whatever --autoplay-policy says
(tried: every context runs at once), so AUTOPLAY_POLICY gives the page's AudioContext the
rule a desktop Chrome applies: suspended until the page has had a click or a key press.
The console says so with a control that turns red while an alert waits unheard, and the
alarm stays visible from any other tab: the title counts the unacknowledged alerts
("(2) 调度台") and the favicon wears a badge until every one is acknowledged.
"""

from __future__ import annotations

from playwright.async_api import Page, async_playwright, expect

from tests.support.chromium import CHROMIUM, FLAGS, TIMEOUT, log_in
from tests.support.factories import (
    DISPATCHER,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish, until

DESK = {"width": 1366, "height": 768}
AUTOPLAY_POLICY = """
(() => {
  // navigator.userActivation reads true at once in headless Chromium: count gestures here.
  let gesture = false;
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, (event) => { gesture ||= event.isTrusted; }, true);
  }
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...args) {
      super(...args);
      this.blocked = !gesture;
      if (this.blocked) super.suspend();
    }
    get state() { return this.blocked ? "suspended" : super.state; }
    resume() {
      if (!gesture) return Promise.resolve();
      this.blocked = false;
      return super.resume().then(() => this.dispatchEvent(new Event("statechange")));
    }
  };
})();
"""


async def favicon(page: Page) -> dict[str, str]:
    found: dict[str, str] = await page.evaluate(
        """() => { const link = document.querySelector('link[rel="icon"]');
                   return {href: link.href, badge: link.dataset.badge ?? ""}; }"""
    )
    return found


async def until_badge(page: Page, count: int) -> dict[str, str]:
    for _ in range(100):
        icon = await favicon(page)
        if icon["badge"] == str(count) and icon["href"].startswith("data:") == (count > 0):
            return icon
        await page.wait_for_timeout(100)
    icon = await favicon(page)
    said = f"badge {icon['badge']}, {icon['href'][:40]}..., title {await page.title()}"
    raise AssertionError(f"the favicon's badge never read {count}: {said}")


async def test_a_blocked_sound_is_said_and_the_title_and_favicon_count_waiting_alerts(
    mosquitto, tmp_path
):
    async with (
        served(settings_for(mosquitto, tmp_path)) as hub,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        await register(hub, homes=("h001", "h002"))
        context = await browser.new_context(viewport=DESK)
        await context.add_init_script(AUTOPLAY_POLICY)
        login = await context.new_page()
        await log_in(login, hub.url, DISPATCHER)
        await login.wait_for_url(f"{hub.url}/console")
        # Opened afresh in a new tab (a bookmark, the browser restarted): no click on it yet.
        # Right after the log-in click the browser allows sound on the same page.
        desk = await context.new_page()
        await desk.goto(f"{hub.url}/console")
        await expect(desk.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )
        sound = desk.get_by_test_id("sound-hint")
        await expect(sound).to_have_attribute("data-sound", "blocked")
        await expect(sound).to_contain_text("点击此处启用")
        await expect(desk).to_have_title("调度台 · 颍州社区养老服务站")

        await publish(
            mosquitto,
            [event_message("fall", seq=1, home="h001"), event_message("sos", seq=1, home="h002")],
        )
        await until(lambda: hub.hub.ingestor.counts.events == 2, what="two alerts")
        await expect(desk).to_have_title("(2) 调度台 · 颍州社区养老服务站", timeout=TIMEOUT)
        icon = await until_badge(desk, 2)
        assert "%3Ecircle" not in icon["href"] and "circle" in icon["href"]  # the red disc
        await expect(sound).to_have_class("btn sound-hint urgent")  # unheard: red, pulsing

        await sound.click()  # the gesture the browser waits for
        await expect(sound).to_have_attribute("data-sound", "on")
        await expect(sound).to_contain_text("提示音已开启")

        dispatcher = await hub.client_for(DISPATCHER)
        alerts = (await dispatcher.get("/alerts", params={"state": "open"})).json()
        first, second = (alert["id"] for alert in alerts)
        (await dispatcher.post(f"/alerts/{first}/acknowledge", json={})).raise_for_status()
        await expect(desk).to_have_title("(1) 调度台 · 颍州社区养老服务站", timeout=TIMEOUT)
        await until_badge(desk, 1)

        await desk.reload()  # the browser blocks the sound again: the console says so
        await expect(sound).to_have_attribute("data-sound", "blocked", timeout=TIMEOUT)
        await expect(sound).to_have_class("btn sound-hint urgent", timeout=TIMEOUT)
        await expect(desk).to_have_title("(1) 调度台 · 颍州社区养老服务站", timeout=TIMEOUT)

        (await dispatcher.post(f"/alerts/{second}/acknowledge", json={})).raise_for_status()
        await expect(desk).to_have_title("调度台 · 颍州社区养老服务站", timeout=TIMEOUT)
        icon = await until_badge(desk, 0)
        assert icon["href"].endswith("/static/icons/icon.svg")
        await expect(sound).to_have_class("btn sound-hint")  # nothing waits: amber, calm
        await browser.close()
