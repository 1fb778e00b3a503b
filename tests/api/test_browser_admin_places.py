"""The operator's institutions tab in a real Chromium: a station made an institution, a unit,
a room and a bed added, a resident given the bed (her config's place follows), and a
caregiver's shift for the room, planned from a browser in another zone: the form reads its
times in the institution's zone, as the list shows them, and says which zone that is."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    ADMIN_PASSWORD,
    PASSWORD,
    home_config,
    register,
    served,
    settings_for,
)


async def test_an_operator_sets_up_a_floor_gives_a_bed_and_plans_a_shift(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        # Another station's resident, in the community: not one for a care home's bed.
        await hub.http.put("/stations/st2", json={"name": "第二站"})
        await hub.http.put("/homes/h002", json=home_config("h002", station="st2"))
        # An operator abroad (or a laptop left on the wrong zone): the institution is in
        # Shanghai (the default zone of a new one), her browser's clock is Berlin's.
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin"
        )
        page = await context.new_page()
        await log_in(page, hub.url, "admin", ADMIN_PASSWORD)
        await page.wait_for_url("**/admin*")
        await page.get_by_test_id("tab-places").click()

        await page.get_by_test_id("institution-station").select_option("st1")
        await page.get_by_test_id("institution-save").click()
        # Each place inside the one made before it, chosen by its label once the list has it.
        station = "颍州社区养老服务站"
        for parent, name in ((f"{station}：新病区", "3F"), (f"{station} 3F：新房间", "301"),
                             (f"{station} 3F 301：新床位", "1")):  # fmt: skip
            option = page.get_by_test_id("place-parent").locator("option", has_text=parent)
            await expect(option).to_be_attached(timeout=TIMEOUT)
            await page.get_by_test_id("place-parent").select_option(label=parent)
            await page.get_by_test_id("place-name").fill(name)
            await page.get_by_test_id("place-save").click()
            await expect(page.get_by_test_id("place-name")).to_have_value("", timeout=TIMEOUT)
        row = page.locator("[data-testid=bed-row][data-bed='301-1']")
        await expect(row.get_by_test_id("bed-resident")).to_have_text("空床", timeout=TIMEOUT)

        offered = page.get_by_test_id("assign-resident").locator("option")
        await expect(offered).to_have_count(2, timeout=TIMEOUT)  # 空床 and h001
        await expect(offered.nth(1)).to_have_attribute("value", "h001")
        await page.get_by_test_id("assign-resident").select_option("h001")
        await page.get_by_test_id("assign-save").click()
        await expect(row.get_by_test_id("bed-resident")).to_contain_text("h001", timeout=TIMEOUT)
        config = (await hub.http.get("/homes/h001")).json()["config"]
        assert config["place"] == {"institution": "st1", "unit": "3F", "room": "301", "bed": "1"}

        body = {"name": "护工甲", "role": "caregiver", "stations": ["st1"], "password": PASSWORD}
        assert (await hub.http.put("/users/cg.a", json=body)).status_code == 200
        await page.reload()
        await page.get_by_test_id("tab-places").click()
        await page.get_by_test_id("shift-caregiver").select_option("cg.a")
        await page.get_by_test_id("shift-start").fill("2026-12-05T20:00")
        await page.get_by_test_id("shift-rooms").select_option(label="3F 301")
        await expect(page.get_by_test_id("shift-zone")).to_have_text(
            "开始时间按颍州社区养老服务站的时间填写：Asia/Shanghai（GMT+08:00）"
        )
        await page.get_by_test_id("shift-save").click()
        await expect(page.get_by_test_id("shift-row")).to_have_count(1, timeout=TIMEOUT)
        # The institution's 20:00, as typed (Berlin's 20:00 would be 12月6日 03:00 there)
        await expect(page.get_by_test_id("shift-row-start")).to_have_text("12月5日 20:00")
        await expect(page.get_by_test_id("shift-row-end")).to_have_text("12月6日 08:00")
        (shift,) = (await hub.http.get("/shifts")).json()
        assert shift["caregiver"] == "cg.a" and len(shift["rooms"]) == 1
        assert shift["starts_at"].startswith("2026-12-05T20:00")
