"""Secrets stay secret: notification URLs are never returned whole by the API, a 422 does
not echo a submitted password, and the log of `eldercare hub -v` (debug lines of apprise
and urllib3 included) shows none of a station's notification secrets."""

from __future__ import annotations

import asyncio
import logging

from hub.redaction import RedactingFilter, redact, remember_target, scrub
from tests.support.factories import (
    STATION,
    AsAdmin,
    event_message,
    hub_process,
    register,
    served,
    settings_for,
)
from tests.support.mqtt import publish

# Short secrets, in every place apprise URLs put them.
SECRETS = ("Pw9short", "Tk9xYz81abc", "zq81", "AbCdEf123456")


def target_on(receiver) -> str:  # type: ignore[no-untyped-def]
    return (
        f"json://bot:Pw9short@{receiver.host}:{receiver.port}/hook/Tk9xYz81abc"
        "?tok=zq81&access_token=AbCdEf123456"
    )


async def test_the_api_never_returns_a_notification_secret(mosquitto, tmp_path, http_receiver):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        saved = await hub.http.put(
            f"/stations/{STATION}",
            json={
                "name": "站",
                "notify": [target_on(http_receiver), "json://h.example.org/x?pw=hunter2"],
            },
        )
        assert saved.status_code == 200
        for answer in (
            saved,
            await hub.http.get("/stations"),
            await hub.http.get(f"/stations/{STATION}"),
        ):
            for secret in (*SECRETS, "hunter2"):
                assert secret not in answer.text, (secret, answer.text)
        shown = (await hub.http.get(f"/stations/{STATION}")).json()["notify"][0]
        assert shown.startswith(f"json://bot:***@{http_receiver.host}:{http_receiver.port}/hook/")


async def test_a_422_does_not_echo_a_password_or_a_notification_url(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        bad_role = {"name": "x", "role": "boss", "password": "Secret-Sauce-9931"}
        no_name = {"role": "family", "password": "Secret-Sauce-9931"}
        too_long = {"username": "admin", "password": "Secret-Sauce-9931" * 20}
        for method, url, body in (
            ("PUT", "/users/somebody", bad_role),
            ("PUT", "/users/somebody", no_name),
            ("POST", "/auth/login", too_long),
            ("POST", "/auth/login", {"password": "Secret-Sauce-9931"}),
            ("PUT", f"/stations/{STATION}", {"name": 5, "notify": ["json://u:Pw9short@h/"]}),
            ("PUT", f"/stations/{STATION}", {"notify": "json://u:Pw9short@h/"}),
        ):
            answer = await hub.http.request(method, url, json=body)
            assert answer.status_code == 422, (url, answer.text)
            assert "Secret-Sauce" not in answer.text and "Pw9short" not in answer.text, answer.text
            assert answer.json()["detail"][0]["loc"]  # still says where the problem is


async def test_the_verbose_log_shows_no_notification_secret(mosquitto, tmp_path, http_receiver):
    async with hub_process(mosquitto, tmp_path) as hub:
        hub.argv.append("-v")
        await hub.start()
        await register(AsAdmin(hub), notify=[target_on(http_receiver)])
        await publish(mosquitto, [event_message("sos", seq=1)])
        await asyncio.to_thread(http_receiver.wait_for, 1, 15)
        assert "Tk9xYz81abc" in http_receiver.requests[0].path  # the secrets did their job
        await hub.stop()
        log = hub.log_text()
    assert " DEBUG " in log and "apprise" in log  # the debug lines were there
    leaks = [line for line in log.splitlines() if any(s in line for s in SECRETS)]
    assert not leaks, "\n".join(leaks[:10])


def test_the_log_filter_hides_a_dingtalk_token_in_any_form():
    token = "9f1c2e3d4b5a69788796a5b4c3d2e1f0aa"
    remember_target(f"dingtalk://{token}/13800000000")
    record = logging.LogRecord(
        "apprise", logging.DEBUG, __file__, 1,
        "DingTalk POST URL: %s (cert_verify=%r)",
        (f"https://oapi.dingtalk.com/robot/send?access_token={token}", True), None,
    )  # fmt: skip
    RedactingFilter().filter(record)
    assert token not in record.getMessage()
    urllib3_line = f'oapi.dingtalk.com:443 "POST /robot/send?access_token={token} HTTP/1.1" 200'
    assert token not in scrub(urllib3_line)
    # Secrets nobody remembered, in a line of text: found by their names.
    assert "zz81" not in scrub("GET /x?pw=zz81&tok=zz81 HTTP/1.1")
    assert "mypass" not in scrub("connecting to mqtt://hub:mypass@broker.local:1883")


def test_redact_hides_every_query_value_userinfo_password_and_path_token():
    shown = redact("json://hooks.example.org/notify/abc123def?pw=x1&tok=y2")
    assert shown == "json://hooks.example.org/notify/***?pw=***&tok=***"
    assert redact("mailto://u:p@smtp.example.org") == "mailto://u:***@smtp.example.org"
    assert redact("pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi/") == (
        "pover://***@***/"
    )
