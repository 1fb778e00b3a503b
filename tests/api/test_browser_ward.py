"""The nurse station and a caregiver's phone in a real Chromium: a bed exit at night shows on
the floor view and on the phone of the caregiver on duty for the room, she acknowledges it
on her phone, and the bed turns back to "in bed" when the bed sensor says so."""

from __future__ import annotations

import time

from playwright.async_api import Page, expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import event_message, served, settings_for, telemetry_message
from tests.support.mqtt import publish
from tests.support.ward_seed import CAREGIVER_A, CAREGIVER_B, NURSE, seed_ward

DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def bed(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid=bed][data-bed='{name}']")


def bed_exit_alert(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=ward-alert][data-kind=bed_exit]")


async def test_a_bed_exit_shows_on_the_floor_and_the_phone_and_is_acknowledged_there(
    mosquitto, tmp_path
):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await seed_ward(hub)
        now = time.time()
        await publish(mosquitto, [
            telemetry_message(1, [(now, "bed", "presence", True)], home="r301a"),
            telemetry_message(1, [(now, "bed", "presence", True)], home="r302a"),
        ])  # fmt: skip

        station = await (await browser.new_context(viewport=DESK)).new_page()
        await log_in(station, hub.url, NURSE)
        await station.wait_for_url("**/ward")
        await expect(bed(station, "301-1")).to_have_attribute(
            "data-state", "in_bed", timeout=TIMEOUT
        )
        await expect(bed(station, "301-2")).to_have_attribute("data-state", "empty")
        room_301 = station.locator("[data-testid=room][data-room='301']")
        await expect(room_301.get_by_test_id("on-duty")).to_have_text("值班：护工甲")

        phone = await (await browser.new_context(viewport=PHONE, is_mobile=True)).new_page()
        await log_in(phone, hub.url, CAREGIVER_A)
        await phone.wait_for_url("**/ward/phone")
        other = await (await browser.new_context(viewport=PHONE, is_mobile=True)).new_page()
        await log_in(other, hub.url, CAREGIVER_B)
        await other.wait_for_url("**/ward/phone")
        await expect(bed(other, "302-1")).to_have_attribute("data-state", "in_bed", timeout=TIMEOUT)
        # Her phone shows her room only.
        await expect(phone.get_by_test_id("room")).to_have_count(1, timeout=TIMEOUT)
        await expect(phone.get_by_test_id("room")).to_have_attribute("data-room", "301")

        # She gets up at night: the bed sensor says so, then the detector's bed exit.
        await publish(mosquitto, [
            telemetry_message(2, [(time.time(), "bed", "presence", False)], home="r301a"),
            event_message("bed_exit", seq=3, home="r301a", severity="major",
                          evidence={"out_of_bed_s": 240}),
        ])  # fmt: skip
        await expect(bed_exit_alert(station)).to_be_visible(timeout=TIMEOUT)
        await expect(bed_exit_alert(station)).to_contain_text("301-1")
        await expect(bed(station, "301-1")).to_have_attribute("data-state", "alert")
        await expect(bed_exit_alert(phone)).to_be_visible(timeout=TIMEOUT)
        await expect(bed(phone, "301-1")).to_have_attribute("data-state", "alert")
        # The caregiver of room 302 is not told about room 301.
        await expect(other.get_by_test_id("ward-queue-empty")).to_be_visible()
        await expect(bed_exit_alert(other)).to_have_count(0)

        await bed_exit_alert(phone).get_by_test_id("ack-button").click()
        await expect(bed_exit_alert(phone).get_by_test_id("acked-by")).to_contain_text(
            "护工甲", timeout=TIMEOUT
        )
        await expect(bed_exit_alert(station)).to_have_attribute(
            "data-acknowledged", "true", timeout=TIMEOUT
        )
        # Acknowledged, and she is still up: the bed says what the sensor says.
        await expect(bed(station, "301-1")).to_have_attribute("data-state", "out_of_bed")

        await publish(mosquitto, [
            telemetry_message(4, [(time.time(), "bed", "presence", True)], home="r301a")
        ])  # fmt: skip
        await expect(bed(station, "301-1")).to_have_attribute(
            "data-state", "in_bed", timeout=TIMEOUT
        )
        await expect(bed(phone, "301-1")).to_have_attribute("data-state", "in_bed", timeout=TIMEOUT)
        await expect(bed(station, "301-1").get_by_test_id("bed-state")).to_have_text("在床")
        # The nurse station closes the case: it leaves the floor's queue.
        await bed_exit_alert(station).get_by_test_id("resolve-button").click()
        await expect(bed_exit_alert(station)).to_have_count(0, timeout=TIMEOUT)
        await expect(bed_exit_alert(phone)).to_have_count(0, timeout=TIMEOUT)
