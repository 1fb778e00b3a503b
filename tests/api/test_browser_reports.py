"""The morning summary and the district reports in a real Chromium against a real hub.

The son chooses a time on the family app; the hub's summaries task makes yesterday's summary
(its figures from the store), sends it through his own channel and the app shows its words,
its chart and that it was sent. A district account sees its two stations' figures and not a
third station's, on the page and in the CSV it downloads.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from hub.schema import Alert, ReadingRow
from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    FAMILY,
    HOME,
    PASSWORD,
    home_config,
    register,
    seed_care,
    served,
    settings_for,
)
from tests.support.mqtt import until

TZ = ZoneInfo("Asia/Shanghai")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
SON_PHONE = "13800000000"  # the factories' contact of h001, with "sms" among his channels


def yesterday_at(hour: int) -> float:
    day = datetime.now(TZ).date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 10, tzinfo=TZ).timestamp()


async def test_the_morning_summary_appears_for_the_family(mosquitto, tmp_path, http_receiver):
    sms = http_receiver.url("/sms/") + "{phone}"
    settings = settings_for(mosquitto, tmp_path, contact_targets={"sms": sms})
    async with served(settings) as hub, chromium() as browser:
        await register(hub)
        son = {"name": "李明", "role": "family", "residents": ["h001"], "phone": SON_PHONE}
        assert (await hub.http.put(f"/users/{FAMILY}", json=son)).status_code == 200
        with hub.hub.store.transaction() as session:
            r = lambda ts, dev, metric, n: ReadingRow(  # noqa: E731
                home_id="h001", device=dev, metric=metric, ts=ts, number=n
            )
            session.add_all([
                r(yesterday_at(9), "band", "heart_rate", 61.0),
                r(yesterday_at(16), "band", "heart_rate", 87.0),
                r(yesterday_at(18), "band", "steps", 4321.0),
                r(yesterday_at(8), "radar_bath", "presence", 1.0),
                r(yesterday_at(8) + 60, "radar_bath", "presence", 0.0),
                r(yesterday_at(20), "radar_bath", "presence", 1.0),
            ])  # fmt: skip

        phone = await browser.new_page(viewport=PHONE)
        await log_in(phone, hub.url, FAMILY)
        card = phone.get_by_test_id("family-summary")
        await expect(card.get_by_test_id("summary-none")).to_be_visible(timeout=TIMEOUT)
        # A minute ago (the resident's time): yesterday's summary is due now.
        chosen = max(datetime.now(TZ) - timedelta(minutes=1),
                     datetime.now(TZ).replace(hour=0, minute=0))  # fmt: skip
        await card.get_by_test_id("summary-time").fill(chosen.strftime("%H:%M"))
        await card.get_by_test_id("summary-time-save").click()

        text = card.get_by_test_id("summary-text")
        await expect(text).to_contain_text("步数 4321", timeout=TIMEOUT)
        await expect(text).to_contain_text("心率 61–87 次/分")
        await expect(text).to_contain_text("外出：无数据")  # no front door: it cannot tell
        await expect(text).not_to_contain_text("正常")
        # the picture: yesterday's activity, 24 hours, the radar's three readings
        bars = card.locator(".summary-bar")
        await expect(bars).to_have_count(24)
        await expect(card.locator('.summary-bar[data-hour="8"]')).to_have_attribute(
            "data-count", "2"
        )
        await expect(card.locator('.summary-bar[data-hour="20"]')).to_have_attribute(
            "data-count", "1")  # fmt: skip
        # sent through his own channel, and the page says so only once it was
        received = await until(lambda: [q for q in http_receiver.requests if "/sms" in q.path])
        assert received[0].path == f"/sms/{SON_PHONE}" and "步数 4321" in str(received[0].body)
        await expect(card.get_by_test_id("summary-sent")).to_contain_text(
            "已通过 1 个渠道发送", timeout=TIMEOUT)  # fmt: skip
        await phone.get_by_test_id("lang-toggle").click()
        await expect(text).to_contain_text("steps: 4321")
        # once a day: a restart of the page, a new look, the same single summary
        assert len((await (await hub.client_for(FAMILY)).get("/summaries")).json()) == 1
        assert hub.hub.summaries.made == 1


async def test_a_summary_time_typed_survives_the_page_redrawing_before_it_is_saved(
    mosquitto, tmp_path
):
    """The card is drawn again whenever the page updates (the live feed reconnecting, the
    language switched): a time typed but not saved yet stays, and is what "save" saves. In
    a slow moment the son's 07:30 was dropped, and "save" switched his summary off."""
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        phone = await browser.new_page(viewport=PHONE)
        await log_in(phone, hub.url, FAMILY)
        card = phone.get_by_test_id("family-summary")
        await expect(card.get_by_test_id("summary-none")).to_be_visible(timeout=TIMEOUT)
        await card.get_by_test_id("summary-time").fill("07:30")
        await phone.get_by_test_id("lang-toggle").click()  # the card is drawn anew
        await expect(card.get_by_test_id("summary-time-state")).to_have_text("Off")
        await expect(card.get_by_test_id("summary-time")).to_have_value("07:30")
        await card.get_by_test_id("summary-time-save").click()
        await expect(card.get_by_test_id("summary-time-state")).to_contain_text("07:30")


async def test_a_district_sees_its_two_stations_and_not_a_third(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        for n in ("2", "3"):
            await hub.http.put(f"/stations/st{n}", json={"name": f"第{n}站"})
            await hub.http.put(f"/homes/h00{n}", json=home_config(f"h00{n}", station=f"st{n}"))
        await hub.http.put("/cities/c1", json={"name": "阜阳市"})
        await hub.http.put("/districts/d1", json={"name": "颍州区", "city": "c1"})
        await hub.http.put("/districts/d2", json={"name": "颍东区", "city": "c1"})
        for station, district in (("st1", "d1"), ("st2", "d1"), ("st3", "d2")):
            response = await hub.http.put(f"/districts/{district}/stations/{station}")
            assert response.status_code == 200
        supervisor = {"name": "赵区", "role": "district", "areas": ["d1"], "password": PASSWORD}
        assert (await hub.http.put("/users/qu.zhao", json=supervisor)).status_code == 200
        care = await seed_care(hub)  # st1's services: a meal ordered for h001
        order = {"resident": HOME, "type": care["meal"], "wanted_at": "2026-12-06T11:30"}
        (await hub.http.post("/service-orders", json=order)).raise_for_status()
        now = time.time() - 60
        with hub.hub.store.transaction() as session:
            for home, station, took in (("h001", "st1", 120), ("h002", "st2", 400),
                                        ("h003", "st3", 30)):  # fmt: skip
                session.add(Alert(home_id=home, station_id=station, kind="fall",
                                  severity="critical", active=False, acknowledged=True,
                                  started=now, raised_at=now, updated_at=now,
                                  acknowledged_at=now + took, detector="fall", evidence={},
                                  related=[], escalation_step=0))  # fmt: skip

        page = await browser.new_page(viewport=DESK, accept_downloads=True)
        await log_in(page, hub.url, "qu.zhao")
        await page.wait_for_url("**/reports", timeout=TIMEOUT)
        rows = page.get_by_test_id("overview-row")
        await expect(rows).to_have_count(2, timeout=TIMEOUT)
        await expect(page.locator('[data-testid=overview-row][data-station="st3"]')).to_have_count(
            0
        )
        # its district by name, not the id "d1"
        st1_row = page.locator('[data-testid=overview-row][data-station="st1"]')
        await expect(st1_row.get_by_test_id("overview-district")).to_have_text("颍州区")
        st1 = page.locator('[data-testid=report-area][data-level="station"][data-id="st1"]')
        await expect(st1.locator('[data-figure="critical_median"]')).to_have_text(
            "2.0 分钟", timeout=TIMEOUT)  # fmt: skip
        st2 = page.locator('[data-testid=report-area][data-level="station"][data-id="st2"]')
        await expect(st2.locator('[data-figure="critical_within"]')).to_have_text("0% (0/1)")
        district = page.locator('[data-testid=report-area][data-level="district"][data-id="d1"]')
        await expect(district.locator('[data-figure="alerts_total"]')).to_have_text("2")
        await expect(page.locator('[data-testid=report-area][data-id="st3"]')).to_have_count(0)
        await expect(page.locator('[data-testid=report-area][data-id="d2"]')).to_have_count(0)
        # the city, as far as this account sees it: its two stations only
        city = page.locator('[data-testid=report-area][data-level="city"][data-id="c1"]')
        await expect(city.locator('[data-figure="alerts_total"]')).to_have_text("2")
        # visits: none planned; service orders by the name of their service, not its code
        await expect(st1.get_by_test_id("section-visits")).to_have_text(
            "探访（计划/完成）: 计划 0; 完成 0; 联系上 0; 未完成 0"
        )
        await expect(st1.get_by_test_id("section-orders")).to_have_text(
            "服务订单（按类型和状态）: 助餐: 已下单 1"
        )
        await expect(st2.get_by_test_id("section-orders")).to_contain_text("无数据")
        await page.get_by_test_id("lang-toggle").click()
        await expect(st1.get_by_test_id("section-orders")).to_contain_text("Meals: ")
        await page.get_by_test_id("lang-toggle").click()
        # read-only: the overview has no action, the API refuses one
        client = await hub.client_for("qu.zhao")
        alerts = (await client.get("/alerts", params={"state": "all"})).json()
        assert {a["station"] for a in alerts} == {"st1", "st2"}
        refused = await client.post(f"/alerts/{alerts[0]['id']}/acknowledge")
        assert refused.status_code == 403

        async with page.expect_download() as download_info:
            await page.get_by_test_id("csv-link").click()
        download = await download_info.value
        await download.save_as(tmp_path / "report.csv")
        csv_text = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
        ids = {line.split(",")[1] for line in csv_text.splitlines()[1:]}
        assert ids == {"st1", "st2", "d1", "c1"}
        assert "st1,颍州社区养老服务站" in csv_text
        assert ",acknowledge_critical,median_s,120.000" in csv_text

        # On a phone the page fits its width (the tables scroll inside their card).
        small = await browser.new_page(viewport={"width": 390, "height": 844})
        await log_in(small, hub.url, "qu.zhao")
        await expect(small.get_by_test_id("overview-row")).to_have_count(2, timeout=TIMEOUT)
        await expect(small.get_by_test_id("report-area")).to_have_count(4, timeout=TIMEOUT)
        width = await small.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"the reports page is {width[0]} px wide in {width[1]}"
