"""The operator pages in a real Chromium, against a real hub on a real Mosquitto.

An admin logs in and lands on the operator pages, registers a station, a home with a
bracelet and an SOS button and the resident's son, and watches the install check: the
home's first reading and its SOS arrive over MQTT and show up on the page. The son logs in
and sees his mother, no one else. And /docs renders with every non-local request blocked.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    ADMIN_PASSWORD,
    PREFIX,
    event_message,
    register,
    served,
    settings_for,
    telemetry_message,
)
from tests.support.mqtt import publish, until

HOME, STATION, SON = "h900", "st9", "zhao.qiang"
SECRET = "json://ops:s3cret-pw@127.0.0.1:9/alerts"


def first_reading() -> tuple[str, bytes]:
    """The bracelet's first heart rate, as the home's edge sends it up."""
    reading = {
        "ts": datetime.now(UTC).isoformat(),
        "home": HOME,
        "device": "band",
        "metric": "heart_rate",
        "value": 76,
    }
    batch = {"home": HOME, "readings": [reading], "edge": HOME, "seq": 1}
    return f"{PREFIX}/{HOME}/telemetry", json.dumps(batch).encode()


async def register_station(page: Page) -> None:
    await page.get_by_test_id("station-id").fill(STATION)
    await page.get_by_test_id("station-name-input").fill("清河社区养老服务站")
    await page.get_by_test_id("station-phone").fill("0558-7654321")
    await page.get_by_test_id("station-notify").fill(SECRET)
    await page.get_by_test_id("station-save").click()
    row = page.locator(f'[data-testid=station-row][data-id="{STATION}"]')
    await expect(row).to_be_visible(timeout=TIMEOUT)
    await expect(row.get_by_test_id("station-notify-shown")).to_contain_text("127.0.0.1")
    await expect(row).not_to_contain_text("s3cret")  # a secret is never shown back


async def register_home(page: Page) -> None:
    await page.get_by_test_id("tab-homes").click()
    form = page.get_by_test_id("home-form")
    await form.get_by_test_id("home-id").fill(HOME)
    await form.get_by_test_id("home-station").select_option(STATION)
    await form.get_by_test_id("home-address").fill("清河路 12 号 1-302")
    await form.get_by_test_id("resident-name").fill("赵桂兰")
    await form.get_by_test_id("resident-birth-year").fill("1940")
    await form.get_by_test_id("add-device").click()
    band = form.get_by_test_id("device-row").nth(0)
    await band.get_by_test_id("device-model").select_option("native-bracelet")
    await band.get_by_test_id("device-id").fill("band")
    await expect(band.get_by_test_id("device-role")).to_have_value("wrist")
    await expect(band.get_by_test_id("device-zigbee")).to_be_hidden()  # a native device
    await form.get_by_test_id("add-device").click()
    sos = form.get_by_test_id("device-row").nth(1)
    await sos.get_by_test_id("device-model").select_option("HS1EB")
    await sos.get_by_test_id("device-id").fill("sos_bed")
    await sos.get_by_test_id("device-zigbee").fill("sos_h900")
    await expect(sos.get_by_test_id("device-role")).to_have_value("bedside")
    await form.get_by_test_id("add-contact").click()
    await form.get_by_test_id("contact-name").fill("赵强")
    await form.get_by_test_id("contact-relation").select_option("son")
    await form.get_by_test_id("contact-phone").fill("13900000000")
    await form.get_by_test_id("home-save").click()
    await expect(page.locator(f'[data-testid=home-row][data-id="{HOME}"]')).to_be_visible(
        timeout=TIMEOUT
    )


async def create_son(page: Page) -> None:
    await page.get_by_test_id("tab-users").click()
    form = page.get_by_test_id("user-form")
    await form.get_by_test_id("user-username").fill(SON)
    await form.get_by_test_id("user-name").fill("赵强")
    await form.get_by_test_id("user-role").select_option("family")
    await expect(form.get_by_test_id("user-station")).to_be_hidden()
    await form.get_by_test_id("user-resident").select_option(HOME)
    await form.get_by_test_id("user-password").fill("son-password")
    await form.get_by_test_id("user-save").click()
    row = page.locator(f'[data-testid=user-row][data-id="{SON}"]')
    await expect(row.get_by_test_id("active-state")).to_have_attribute("data-state", "active")


async def add_a_daughter(page: Page, hub) -> None:
    """Editing the home keeps what the form does not show (her absences and her limits'
    feedback, changed while the form is open, too) and changes what it does."""
    # A motion sensor in the hall, a room the form's list does not name, put there by the API.
    config = (await hub.http.get(f"/homes/{HOME}")).json()["config"]
    hall = {"id": "pir_hall", "kind": "motion", "role": "hall", "source": "zigbee2mqtt:hall"}
    config["devices"].append(hall)
    (await hub.http.put(f"/homes/{HOME}", json=config)).raise_for_status()
    feedback = f"/homes/{HOME}/feedback/no_activity"
    (await hub.http.put(feedback, json={"factor": 1.25})).raise_for_status()
    await page.reload()
    await page.get_by_test_id("tab-homes").click()
    await (
        page.locator(f'[data-testid=home-row][data-id="{HOME}"]')
        .get_by_test_id("edit-home")
        .click()
    )
    form = page.get_by_test_id("home-form")
    await expect(form.get_by_test_id("resident-name")).to_have_value("赵桂兰")
    await expect(form.get_by_test_id("device-row")).to_have_count(3)
    await expect(form.get_by_test_id("device-role").nth(2)).to_have_value("hall")
    # Meanwhile the station announces she is away: saving the form does not undo it.
    span = {"start": "2030-01-01T09:00:00", "end": "2030-01-02T18:00:00"}
    announced = await hub.http.post(f"/residents/{HOME}/away", json=span)
    assert announced.status_code == 201, announced.text
    # And a false alarm steps her no_activity limit again: the form's copy is stale.
    (await hub.http.put(feedback, json={"factor": 1.56})).raise_for_status()
    await form.get_by_test_id("add-contact").click()
    await form.get_by_test_id("contact-name").nth(1).fill("赵敏")
    await form.get_by_test_id("contact-relation").nth(1).select_option("daughter")
    await form.get_by_test_id("home-save").click()
    await expect(form.get_by_test_id("home-form-title")).to_have_text("登记住户", timeout=TIMEOUT)
    config = (await hub.http.get(f"/homes/{HOME}")).json()["config"]
    assert [c["name"] for c in config["contacts"]] == ["赵强", "赵敏"]
    assert [a["start"] for a in config["away"]] == ["2030-01-01T09:00:00+08:00"]
    assert config["thresholds"]["feedback"] == {"no_activity": 1.56}
    sources = {d["id"]: (d["source"], d["role"]) for d in config["devices"]}
    assert sources == {
        "band": ("native", "wrist"),
        "sos_bed": ("zigbee2mqtt:sos_h900", "bedside"),
        "pir_hall": ("zigbee2mqtt:hall", "hall"),
    }


async def test_an_operator_sets_up_a_home_and_sees_its_first_reading(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)  # another station and home, which the son must never see
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        await log_in(page, hub.url, "admin", ADMIN_PASSWORD)
        await expect(page).to_have_url(f"{hub.url}/admin#stations", timeout=TIMEOUT)
        await expect(page.get_by_test_id("console-link")).to_have_attribute("href", "/console")

        await register_station(page)
        await register_home(page)
        check = page.get_by_test_id("install-check")
        await expect(check).to_be_visible()
        await expect(check.get_by_test_id("check-state")).to_have_attribute("data-state", "waiting")
        # A bracelet and a button: no fixed sensor sees the door, the bedroom or the bathroom,
        # and the installer is told what that costs before he leaves.
        spots = check.get_by_test_id("blind-spots").locator("li")
        await expect(spots).to_have_count(3)
        assert [await spot.get_attribute("data-spot") for spot in await spots.all()] == [
            "front_door",
            "bedroom",
            "bathroom",
        ]
        await expect(spots.nth(1)).to_contain_text("第二天上午")

        # The installer puts the bracelet on and presses the SOS button.
        await publish(mosquitto, [first_reading()])
        reading = check.locator('[data-testid=arrival][data-type="reading"]')
        await expect(reading).to_contain_text("76", timeout=TIMEOUT)
        await expect(reading).to_contain_text("心率")
        await publish(mosquitto, [event_message("sos", seq=2, home=HOME)])
        sos = check.locator('[data-testid=arrival][data-type="event"][data-metric="sos"]')
        await expect(sos).to_be_visible(timeout=TIMEOUT)
        await expect(check.get_by_test_id("check-state")).to_have_attribute("data-state", "arrived")
        await page.screenshot(path=tmp_path / "operator.png", full_page=True)

        await create_son(page)
        son = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(son, hub.url, SON, "son-password")
        await expect(son).to_have_url(f"{hub.url}/family", timeout=TIMEOUT)
        await expect(son.get_by_test_id("family-question")).to_contain_text("赵桂兰")
        residents = await (await son.request.get(f"{hub.url}/residents")).json()
        assert [r["id"] for r in residents] == [HOME]

        await add_a_daughter(page, hub)

        # Deactivated from the page (two clicks, no dialog): he can no longer log in.
        await page.get_by_test_id("tab-users").click()
        row = page.locator(f'[data-testid=user-row][data-id="{SON}"]')
        await row.get_by_test_id("deactivate-user").click()
        await row.get_by_test_id("deactivate-user").click()
        await expect(row.get_by_test_id("active-state")).to_have_attribute(
            "data-state", "inactive", timeout=TIMEOUT
        )
        me = await son.request.get(f"{hub.url}/auth/me")
        assert me.status == 401

        # The console is a click away, and links back for an admin only.
        await page.get_by_test_id("console-link").click()
        await expect(page).to_have_url(f"{hub.url}/console", timeout=TIMEOUT)
        await expect(page.get_by_test_id("operator-link")).to_be_visible(timeout=TIMEOUT)


async def test_a_wrong_device_is_refused_on_the_page_with_the_reason(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        await log_in(page, hub.url, "admin", ADMIN_PASSWORD)
        await page.get_by_test_id("tab-homes").click()
        form = page.get_by_test_id("home-form")
        await form.get_by_test_id("home-id").fill("h901")
        await form.get_by_test_id("resident-name").fill("钱玉珍")
        await form.get_by_test_id("resident-birth-year").fill("1938")
        await form.get_by_test_id("home-station").select_option("st1")
        await form.get_by_test_id("add-device").click()
        await form.get_by_test_id("device-model").select_option("HS1EB")
        # No Zigbee2MQTT name: the hub refuses the source, and the page says why.
        await form.get_by_test_id("home-save").click()
        error = form.get_by_test_id("form-error")
        await expect(error).to_be_visible(timeout=TIMEOUT)
        await expect(error).to_contain_text("zigbee2mqtt:<friendly_name>")
        await expect(page.locator('[data-testid=home-row][data-id="h901"]')).to_have_count(0)


async def test_the_api_docs_render_with_the_network_off(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        context = await browser.new_context()
        blocked: list[str] = []

        async def local_only(route: Route) -> None:
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", local_only)
        page = await context.new_page()
        await page.goto(f"{hub.url}/docs")
        operations = page.locator(".opblock-summary-path")
        await expect(operations.first).to_be_visible(timeout=TIMEOUT)
        # The operations themselves, not just the page's frame: the new DELETE is listed.
        deactivate = page.locator(".opblock-delete .opblock-summary-path")
        await expect(deactivate.filter(has_text="/homes/{home_id}")).to_be_visible()
        assert not [url for url in blocked if url.endswith((".js", ".css"))], blocked
        await context.close()


async def test_the_home_form_says_what_is_wrong_in_chinese_naming_the_field(mosquitto, tmp_path):
    """The API's refusals are English for its programs; the form says them in the page's
    words and names the field (it read "未保存：Input should be less than or equal to 2026",
    "Value error, unknown time zone 'Mars/Base'", and "Not Found" for an id with a slash)."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        await log_in(page, hub.url, "admin", ADMIN_PASSWORD)
        await page.get_by_test_id("tab-homes").click()
        form = page.get_by_test_id("home-form")
        error = form.get_by_test_id("form-error")
        await form.get_by_test_id("resident-name").fill("钱玉珍")
        # No station chosen for her (the first was a care home), each by its name only
        station = form.get_by_test_id("home-station")
        await expect(station).to_have_value("")
        await expect(station.locator("option[value=st1]")).to_have_text("颍州社区养老服务站")
        await station.select_option("st1")
        for home, year, zone, said in (
            ("h901", "2030", "Asia/Shanghai", "未保存：出生年份不能晚于 2026 年"),
            ("h901", "1899", "Asia/Shanghai", "未保存：出生年份不能早于 1900 年"),
            ("h901", "1938", "Mars/Base", "未保存：时区“Mars/Base”不存在"),
            ("h9/01", "1938", "Asia/Shanghai", "住户编号只能使用字母、数字"),
            ("h 901", "1938", "Asia/Shanghai", "住户编号只能使用字母、数字"),
        ):
            await form.get_by_test_id("home-id").fill(home)
            await form.get_by_test_id("resident-birth-year").fill(year)
            await form.get_by_test_id("home-timezone").fill(zone)
            await form.get_by_test_id("home-save").click()
            await expect(error).to_contain_text(said, timeout=TIMEOUT)
            for english in ("Input should", "Value error", "Not Found", "String should"):
                await expect(error).not_to_contain_text(english)
        await expect(page.locator("[data-testid=home-row]")).to_have_count(1)  # register's


async def test_the_install_check_of_a_home_with_data_shows_it_newest_first_in_words(
    mosquitto, tmp_path
):
    """A home already reporting: the check said "press the SOS button now and wait for the
    first reading" above "55 received", listed readings as "有人：0", and its events of
    06:50 above readings of 13:36."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        now = time.time()
        await publish(mosquitto, [event_message("fall", seq=1, ts=now - 3 * 3600)])
        readings = [
            (now - 600, "radar_bath", "presence", False),
            (now - 300, "band", "heart_rate", 71),
        ]
        await publish(mosquitto, [telemetry_message(2, readings)])
        await until(lambda: hub.hub.ingestor.counts.readings >= 2, what="her readings")
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        await log_in(page, hub.url, "admin", ADMIN_PASSWORD)
        await page.get_by_test_id("tab-homes").click()
        row = page.locator('[data-testid=home-row][data-id="h001"]')
        await row.get_by_test_id("check-home").click()
        check = page.get_by_test_id("install-check")
        state = check.get_by_test_id("check-state")
        await expect(state).to_have_attribute("data-state", "earlier", timeout=TIMEOUT)
        await expect(state).to_contain_text("此前已收到 3 条数据")
        await expect(check.locator(".check-ask")).to_be_hidden()  # not "wait for the first"
        arrivals = check.get_by_test_id("arrival")
        await expect(arrivals).to_have_count(3)
        await expect(arrivals.nth(0)).to_contain_text("心率：71 次/分")
        await expect(arrivals.nth(1)).to_contain_text("radar_bath · 无人")
        await expect(arrivals.nth(2)).to_have_attribute("data-type", "event")  # 3 h ago, last
        await expect(check).not_to_contain_text("有人：0")

        # A reading now: on top, and counted as arrived during the check.
        await publish(mosquitto, [telemetry_message(3, [(time.time(), "band", "worn", True)])])
        await expect(state).to_have_attribute("data-state", "arrived", timeout=TIMEOUT)
        await expect(state).to_contain_text("检查开始后收到 1 条新数据")
        await expect(arrivals.nth(0)).to_contain_text("已佩戴")
        await expect(arrivals.nth(0)).to_have_attribute("data-earlier", "false")
