"""The accelerometer window of a wearable's fall, drawn on the dispatcher's alert card.

A fall from the wrist band comes with two seconds of samples: the card draws their
magnitude with the peak marked. A fall seen by the radar and an SOS press have no window:
their cards show no chart and no error, and ask for none. The window is fetched once per
alert. When the bathroom radar then sees the fall too, the card shows the radar's evidence
and, below it, what the band saw (智能手环：冲击 4.7 g…), in either language; the family's
story of the alert says it too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Page, expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish

REST, IMPACT, LYING = [0.0, 0.0, 1.0], [2.5, 1.0, 3.9], [0.9, 0.1, 0.1]  # in g; |IMPACT| 4.74


def band_window() -> dict:
    """100 samples at 50 Hz: standing still, one hard impact, then lying on the floor."""
    return {
        "device": "band",
        "rate_hz": 50.0,
        "start": datetime.now(UTC).isoformat(),
        "samples": [REST] * 50 + [IMPACT] + [LYING] * 49,
    }


async def test_a_wrist_fall_shows_its_acceleration_and_other_alerts_show_none(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub, homes=("h001", "h002", "h003"))
        desk = await browser.new_page(viewport={"width": 1366, "height": 768})
        window_requests: list[str] = []
        desk.on("request", lambda r: window_requests.append(r.url) if "/window" in r.url else None)
        await log_in(desk, hub.url, DISPATCHER)
        await expect(desk.get_by_test_id("connection")).to_have_attribute(
            "data-status", "live", timeout=TIMEOUT
        )

        wearable = {"source": "wearable", "peak_g": 4.7, "still_s": 30}
        await publish(
            mosquitto,
            [
                event_message(
                    "fall", seq=1, evidence=wearable, window=band_window(), device="band"
                ),
                event_message("fall", seq=1, home="h002", evidence={"source": "radar"}),
                event_message("sos", seq=1, home="h003", evidence={"source": "button"}),
            ],
        )
        items = desk.get_by_test_id("alert-item")
        await expect(items).to_have_count(3, timeout=TIMEOUT)
        ids = {home: await alert_of(hub.url, desk, home) for home in ("h001", "h002", "h003")}
        card = desk.get_by_test_id("alert-card")
        chart = desk.get_by_test_id("accel-window")

        # The wrist band's fall: its magnitude over time, the 4.74 g impact marked.
        await items.and_(desk.locator(f'[data-alert-id="{ids["h001"]}"]')).click()
        await expect(chart).to_have_attribute("data-peak-g", "4.7", timeout=TIMEOUT)
        await expect(chart).to_contain_text("跌倒时加速度")
        await expect(chart.locator(".chart-peak-label")).to_have_text("峰值 4.7 g")
        await expect(chart.locator(".chart-rest")).to_have_count(1)
        await desk.locator("#card-alert").screenshot(path=tmp_path / "window.png")
        await desk.get_by_test_id("lang-toggle").click()
        await expect(chart).to_contain_text("Acceleration at the fall")
        await expect(chart.locator(".chart-peak-label")).to_have_text("peak 4.7 g")
        await desk.get_by_test_id("lang-toggle").click()

        # The radar's fall has no window and the SOS is not a fall: no chart, no error.
        for home in ("h002", "h003"):
            await items.and_(desk.locator(f'[data-alert-id="{ids[home]}"]')).click()
            await expect(card).to_have_attribute("data-alert-id", str(ids[home]))
            await expect(desk.get_by_test_id("resident-name")).to_be_visible(timeout=TIMEOUT)
            await expect(chart).to_have_count(0)
            await expect(card).not_to_contain_text("加载失败")

        # Back to the wrist fall: drawn again from what was fetched the first time.
        await items.and_(desk.locator(f'[data-alert-id="{ids["h001"]}"]')).click()
        await expect(chart).to_have_attribute("data-peak-g", "4.7", timeout=TIMEOUT)
        fetched = [url.split("/alerts/")[1] for url in window_requests]
        # Only the alert that has a window asks for it: the radar's fall makes no request (no 404).
        assert fetched == [f"{ids['h001']}/window"]

        # The bathroom radar sees her fall too: its evidence is the alert's now, and the
        # band's impact stays on the card, by device, in the language shown.
        radar = {"source": "radar", "role": "bathroom"}
        await publish(
            mosquitto,
            [event_message("fall", "updated", seq=2, evidence=radar, device="radar_bath")],
        )
        await expect(desk.get_by_test_id("card-device")).to_contain_text(
            "卫生间的跌倒雷达", timeout=TIMEOUT
        )
        await expect(desk.get_by_test_id("evidence")).to_have_text("在卫生间")
        earlier = desk.get_by_test_id("earlier-evidence")
        await expect(earlier).to_have_text("智能手环：冲击 4.7 g，静止 30 秒")
        # Its history says which device saw it, not "another device".
        history = desk.get_by_test_id("history")
        await expect(history).to_contain_text("卫生间的跌倒雷达也检测到")
        await desk.get_by_test_id("lang-toggle").click()
        await expect(earlier).to_have_text("wrist bracelet: impact 4.7 g, lying still for 30 s")
        await expect(history).to_contain_text("The bathroom fall radar saw it too")
        # Her son opens the alert's story on his phone: the band's impact is there too.
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(phone, hub.url, FAMILY)
        await phone.get_by_test_id("family-alert-open").click(timeout=TIMEOUT)
        await expect(phone.get_by_test_id("family-earlier-evidence")).to_have_text(
            "智能手环：冲击 4.7 g，静止 30 秒", timeout=TIMEOUT
        )


async def alert_of(base: str, page: Page, home: str) -> int:
    """The id of the one open alert of home, asked as the logged-in dispatcher."""
    response = await page.request.get(f"{base}/alerts", params={"resident": home})
    (alert,) = await response.json()
    return alert["id"]
