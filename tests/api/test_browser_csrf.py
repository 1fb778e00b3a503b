"""Cross-site request forgery in a real Chromium: a dispatcher logged in to the console
opens a page of another origin (a second HTTP server on another port) whose form posts to
``/alerts/{id}/acknowledge``, and whose script tries the same with ``fetch``. The session
cookie goes along (the two origins differ only in the port, so they are the same *site*
and SameSite=Lax does not hold it back): only the hub's Origin check stops it. The alert
stays unacknowledged; the same request from the hub's own page acknowledges it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.async_api import expect

from tests.support.chromium import TIMEOUT, chromium, log_in
from tests.support.factories import DISPATCHER, event_message, register, served, settings_for
from tests.support.mqtt import publish

ATTACK = """<!doctype html>
<html><body>
<p>You won a prize!</p>
<form id="prize" method="POST" action="{target}"><input type="hidden" name="x" value="1"></form>
<script>
  fetch("{target}", {{method: "POST", credentials: "include", mode: "no-cors"}})
    .finally(() => document.getElementById("prize").submit());
</script>
</body></html>
"""


@contextlib.contextmanager
def attacker_site(page: str) -> Iterator[str]:
    """Another origin on 127.0.0.1: serves ``page`` at ``/``; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_a_cross_site_form_cannot_acknowledge_an_alert(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub, chromium() as browser:
        await register(hub)
        await publish(mosquitto, [event_message("sos", seq=1)])
        async with asyncio.timeout(10):
            while not (alerts := (await hub.http.get("/alerts")).json()):
                await asyncio.sleep(0.05)
        alert_id = alerts[0]["id"]
        target = f"{hub.url}/alerts/{alert_id}/acknowledge"

        page = await browser.new_page()
        await log_in(page, hub.url, DISPATCHER)
        await expect(page).to_have_url(f"{hub.url}/console", timeout=TIMEOUT)

        with attacker_site(ATTACK.format(target=target)) as evil:
            assert evil.split(":")[2] != hub.url.split(":")[2]  # another port: another origin
            async with page.expect_navigation(url=target, timeout=TIMEOUT) as submitted:
                await page.goto(evil)
            answer = await submitted.value
            assert answer is not None and answer.status == 403
            await expect(page.locator("body")).to_contain_text("Origin check")
        alert = (await hub.http.get(f"/alerts/{alert_id}")).json()
        assert alert["acknowledged"] is False
        assert "acknowledged" not in [c["action"] for c in alert["history"]]

        # The same session, from the hub's own page: it acts (so the cookie was good).
        await page.goto(f"{hub.url}/console")
        status = await page.evaluate(
            "url => fetch(url, {method: 'POST'}).then(r => r.status)", target
        )
        assert status == 200
        assert (await hub.http.get(f"/alerts/{alert_id}")).json()["acknowledged"] is True
