"""Every page opened by every kind of account, in a real Chromium: a page that is not for
the account sends it to its own page, so nobody reads a nurse station's "no rooms on this
floor" or a caregiver's "you are not on shift" that is not about them (a family whose
mother's SOS is open read both), nor a dispatcher the family app's "all is well today" (its
push and morning summaries are the family's: 403 for staff). The console says an alert in
its address that is not there does not exist, not "could not load", in the language chosen
since. A district account reads the console's queue and cards but is offered none of the
station's actions, which the API would refuse it (403): the page asks the API
(``GET /auth/me``'s ``acts_on_alerts``)."""

from __future__ import annotations

import asyncio
import contextlib
import re

from playwright.async_api import BrowserContext, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import (
    ADMIN_PASSWORD,
    DISPATCHER,
    FAMILY,
    HOME,
    PASSWORD,
    event_message,
    register,
    seed_care,
    served,
    settings_for,
)
from tests.support.mqtt import publish, until
from tests.support.ward_seed import CAREGIVER_A, DAUGHTER, HEAD_NURSE, NURSE, ok, seed_ward

PAGES = ("/login", "/console", "/admin", "/reports", "/ward", "/ward/phone", "/family")
STAFF_CAREGIVER = "cg.home"  # a caregiver of the community station: no institution
DISTRICT = "yz.district"
# account -> (its password, the page it lands on)
ACCOUNTS = {
    "admin": (ADMIN_PASSWORD, "/admin"),
    DISPATCHER: (PASSWORD, "/console"),
    STAFF_CAREGIVER: (PASSWORD, "/console"),
    CAREGIVER_A: (PASSWORD, "/ward/phone"),
    NURSE: (PASSWORD, "/ward"),
    HEAD_NURSE: (PASSWORD, "/ward"),
    FAMILY: (PASSWORD, "/family"),
    DAUGHTER: (PASSWORD, "/family"),
    DISTRICT: (PASSWORD, "/reports"),
}
WARD_ACCOUNTS = {"admin", CAREGIVER_A, NURSE, HEAD_NURSE}


def page_for(account: str, path: str) -> str:
    """Where ``account`` ends up when it opens ``path``."""
    home = ACCOUNTS[account][1]
    if path == "/login":
        return home  # already logged in
    if path == "/admin":
        return path if account == "admin" else home
    if path in ("/console", "/reports"):
        return home if account in (FAMILY, DAUGHTER) else path
    if path in ("/ward", "/ward/phone"):
        return path if account in WARD_ACCOUNTS else home
    if path == "/family":
        return path if account in (FAMILY, DAUGHTER) else home
    return path


async def settled(page: Page) -> str:
    """The page the browser stays on: one that lets its user in shows itself (a page that
    sends him away stays hidden meanwhile) and is still there a moment later (the log-in
    page shows itself, then sends a logged-in user on)."""
    while True:
        await expect(page.locator("body")).not_to_have_class(re.compile("booting"), timeout=TIMEOUT)
        here = page.url
        await page.wait_for_timeout(300)
        if page.url == here:
            return here


async def test_each_page_is_for_its_accounts_and_sends_others_home(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await seed_ward(hub)
        await ok(await hub.http.put("/cities/c1", json={"name": "阜阳市"}))
        await ok(await hub.http.put("/districts/yingzhou", json={"name": "颍州区", "city": "c1"}))
        await ok(await hub.http.put("/districts/yingzhou/stations/st1"))
        others = {
            STAFF_CAREGIVER: {"name": "护工丙", "role": "caregiver", "stations": ["st1"]},
            DISTRICT: {"name": "颍州区民政局", "role": "district", "areas": ["yingzhou"]},
        }
        for username, user in others.items():
            await ok(await hub.http.put(f"/users/{username}", json={**user, "password": PASSWORD}))
        await publish(mosquitto, [event_message("sos", seq=1)])  # the son's mother's SOS
        await until(lambda: hub.hub.ingestor.counts.events == 1, what="the SOS")

        landed: dict[tuple[str, str], str] = {}
        errors: list[str] = []

        def watch(page: Page, account: str) -> None:
            page.on("pageerror", lambda error: errors.append(f"{account}: {error}"))
            page.on(
                "console",
                lambda m: (
                    errors.append(f"{account} {page.url}: {m.text}") if m.type == "error" else None
                ),
            )

        async def visit(context: BrowserContext, account: str, path: str) -> None:
            page = await context.new_page()
            watch(page, account)
            await page.goto(f"{hub.url}{path}", wait_until="commit")
            # Where it should end up, given the time a busy machine takes to get there (the
            # log-in page asks the hub who is logged in before it sends him on); then where
            # it stays, right or wrong.
            expected = f"{hub.url}{page_for(account, path)}"
            with contextlib.suppress(PlaywrightTimeout):
                await page.wait_for_url(lambda url: url.split("#")[0] == expected, timeout=TIMEOUT)
            where = (await settled(page)).removeprefix(hub.url)
            landed[account, path] = where.split("#")[0]
            await page.close()

        for account, (password, home) in ACCOUNTS.items():
            context = await browser.new_context(viewport={"width": 1366, "height": 800})
            page = await context.new_page()
            await log_in(page, hub.url, account, password)
            await page.wait_for_url(f"{hub.url}{home}", timeout=TIMEOUT)
            await page.close()
            # Its seven pages in tabs side by side (one log-in, as a user's browser has them):
            # a page's verdict is its own, and seven in turn cost a minute of the suite.
            await asyncio.gather(*(visit(context, account, path) for path in PAGES))
            await context.close()

        wrong = {
            f"{account} on {path}": f"{where}, not {page_for(account, path)}"
            for (account, path), where in landed.items()
            if where != page_for(account, path)
        }
        assert wrong == {}
        assert errors == []

        # The district on the console, which it may read: the SOS's card, with nothing to
        # press that the API would refuse it; a visit due and an order, nothing to do there.
        care = await seed_care(hub)
        plan = {"tier": care["daily"], "responsible": "王芳"}
        await ok(await hub.http.put(f"/visit-plans/{HOME}", json=plan))
        order = {"resident": HOME, "type": care["meal"], "wanted_at": "2026-12-06T11:30"}
        await ok(await hub.http.post("/service-orders", json=order))
        context = await browser.new_context(viewport={"width": 1366, "height": 800})
        page = await context.new_page()
        await log_in(page, hub.url, DISTRICT, PASSWORD)
        await page.wait_for_url(f"{hub.url}/reports", timeout=TIMEOUT)
        watch(page, DISTRICT)  # from here (logged out, the log-in page's ask was a 401)
        me = await (await page.request.get(f"{hub.url}/auth/me")).json()
        assert me["role"] == "district" and me["acts_on_alerts"] is False
        await page.goto(f"{hub.url}/console")
        await page.get_by_test_id("alert-item").click(timeout=TIMEOUT)
        card = page.locator("#card-alert")
        await expect(card.get_by_test_id("read-only")).to_have_text(
            "仅供查看：本账号不处理告警", timeout=TIMEOUT
        )
        await expect(card.get_by_test_id("handled-by")).to_contain_text("尚未受理")
        # The hub does not tell it what the station's staff were sent: no line saying
        # 未通知任何人 (nobody notified) where the station was paged.
        await expect(card.get_by_test_id("delivered")).to_have_count(0)
        await expect(card).not_to_contain_text("未通知任何人")
        for action in ("actions", "ack-button", "assign-button", "comment-button",
                       "resolve-button", "reopen-button"):  # fmt: skip
            await expect(page.get_by_test_id(action)).to_have_count(0)
        await page.locator("body").press("a")  # the console's key for 受理: nothing to press
        await page.get_by_test_id("tab-care").click()
        await expect(page.get_by_test_id("visit-item")).to_have_count(1, timeout=TIMEOUT)
        await expect(page.get_by_test_id("order-item")).to_have_count(1, timeout=TIMEOUT)
        for action in ("visit-record-open", "order-to-accepted", "order-to-cancelled"):
            await expect(page.get_by_test_id(action)).to_have_count(0)
        await expect(page.get_by_test_id("new-order")).to_be_hidden()
        await page.get_by_test_id("lang-toggle").click()
        await page.get_by_test_id("tab-queue").click()
        await expect(page.get_by_test_id("read-only")).to_have_text(
            "View only: this account does not act on alerts"
        )
        sos = (await hub.http.get("/alerts", params={"state": "all"})).json()
        assert [a["acknowledged"] for a in sos] == [False]  # nothing was done in its name
        await context.close()
        assert errors == []


async def test_the_console_says_an_alert_that_is_not_there_does_not_exist(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        page = await browser.new_page(viewport={"width": 1366, "height": 800})
        await log_in(page, hub.url, DISPATCHER)
        await page.wait_for_url(f"{hub.url}/console")
        for hash_ in ("alert-99999", "alert-abc"):
            await page.goto(f"{hub.url}/console#{hash_}")
            await page.reload()
            missing = page.get_by_test_id("alert-not-found")
            await expect(missing).to_be_visible(timeout=TIMEOUT)
            await expect(missing).to_contain_text("不存在")
            await expect(page.locator("#detail")).not_to_contain_text("加载失败")
        # A switch of language rewords it at once, as every other text of the page.
        await page.get_by_test_id("lang-toggle").click()
        await expect(missing).to_have_text("Alert abc does not exist, or is not your station's")
        await page.get_by_test_id("lang-toggle").click()
        await expect(missing).to_have_text("告警 abc 不存在，或不属于您的服务站")
