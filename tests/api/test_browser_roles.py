"""Every page opened by every kind of account, in a real Chromium: a page that is not for
the account sends it to its own page, so nobody reads a nurse station's "no rooms on this
floor" or a caregiver's "you are not on shift" that is not about them (a family whose
mother's SOS is open read both), nor a dispatcher the family app's "all is well today" (its
push and morning summaries are the family's: 403 for staff). The console says an alert in
its address that is not there does not exist, not "could not load"."""

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
    PASSWORD,
    event_message,
    register,
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
