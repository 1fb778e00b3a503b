"""Outbound notifications through apprise to a real local HTTP receiver."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.errors import DeliveryError, HubError
from hub.outbound import check_target, deliver, redact

# Imported under another name: the fixture keeps its own, and no test argument shadows it.
from tests.support.http_receiver import HttpReceiver
from tests.support.http_receiver import http_receiver as _http_receiver_fixture  # noqa: F401

TITLE = "【紧急】王秀英：跌倒"
BODY = "住户：王秀英（h001）\n发生时间：08:42\n情况：跌倒（冲击 4.2 g，静止 45 秒）"


async def test_delivers_title_and_body_with_chinese_intact(http_receiver: HttpReceiver) -> None:
    await deliver(http_receiver.url("/alerts/st1"), TITLE, BODY)

    [(path, headers, payload)] = http_receiver.wait_for(1)
    assert path == "/alerts/st1"
    assert headers["Content-Type"].startswith("application/json")
    # apprise's json:// payload: {"version", "title", "message", "attachments", "type"}
    assert payload["title"] == TITLE
    assert payload["message"] == BODY


async def test_each_delivery_is_independent(http_receiver: HttpReceiver) -> None:
    with pytest.raises(DeliveryError):
        await deliver("json://", "broken", "target")
    await deliver(http_receiver.url("/a"), "one", "1")
    await deliver(http_receiver.url("/b"), "two", "2")
    assert [r.path for r in http_receiver.wait_for(2)] == ["/a", "/b"]


async def test_receiver_error_is_a_delivery_error(http_receiver: HttpReceiver) -> None:
    http_receiver.status = 500
    target = http_receiver.url("/alerts")

    with pytest.raises(DeliveryError) as raised:
        await deliver(target, TITLE, BODY)

    error = raised.value
    assert isinstance(error, HubError)
    assert error.target == target  # nothing secret in it to hide
    assert "500" in error.reason
    assert len(http_receiver.requests) == 1  # apprise does not retry by default


async def test_unreachable_receiver_is_a_delivery_error() -> None:
    with HttpReceiver() as receiver:
        target = receiver.url("/gone")
    with pytest.raises(DeliveryError) as raised:
        await deliver(target, TITLE, BODY, timeout_s=5)
    assert "connection" in raised.value.reason.lower()


@pytest.mark.parametrize(
    "target",
    [
        "",
        "   ",
        "not a url",
        "nosuchscheme://host/path",
        "json://",
        "dingtalk://",
        "mailto://",
        "json://user:pw@/path",
    ],
)
async def test_unparseable_url_is_refused(target: str) -> None:
    with pytest.raises(DeliveryError) as at_registration:
        check_target(target)
    assert "apprise URL" in at_registration.value.reason or "no notification URL" in str(
        at_registration.value
    )
    with pytest.raises(DeliveryError):
        await deliver(target, TITLE, BODY)


def test_one_target_must_be_one_url(http_receiver: HttpReceiver) -> None:
    # apprise.add() would load both, and one "target" would notify two channels.
    with pytest.raises(DeliveryError, match="2 notification URLs"):
        check_target(f"{http_receiver.url('/a')}, {http_receiver.url('/b')}")


def test_valid_urls_pass_the_check(http_receiver: HttpReceiver) -> None:
    check_target(http_receiver.url("/alerts"))
    check_target("mailto://user:password@example.org?to=family@example.org")
    check_target("dingtalk://a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/")
    assert http_receiver.requests == []  # checking sends nothing


async def test_hanging_receiver_times_out_quickly(http_receiver: HttpReceiver) -> None:
    http_receiver.delay_s = 5.0
    started = time.monotonic()

    with pytest.raises(DeliveryError) as raised:
        await deliver(http_receiver.url("/slow"), TITLE, BODY, timeout_s=0.5)

    assert time.monotonic() - started < 2.0
    assert "0.5 s" in raised.value.reason
    http_receiver.wait_for(1)  # it did reach the receiver, which never answered in time


async def test_a_hanging_target_does_not_hold_up_another(http_receiver: HttpReceiver) -> None:
    with HttpReceiver() as slow:
        slow.delay_s = 5.0
        started = time.monotonic()
        results = await asyncio.gather(
            deliver(slow.url("/slow"), "t", "b", timeout_s=0.5),
            deliver(http_receiver.url("/fast"), "t", "b", timeout_s=0.5),
            return_exceptions=True,
        )
        assert time.monotonic() - started < 2.0
    assert isinstance(results[0], DeliveryError)
    assert results[1] is None
    assert [r.path for r in http_receiver.requests] == ["/fast"]


def test_redact_hides_password_and_token() -> None:
    hidden = redact("json://admin:s3cret-pass@hooks.example.org:8443/notify?token=abc123&to=st1")
    assert hidden == "json://admin:***@hooks.example.org:8443/notify?token=***&to=***"
    assert "s3cret" not in hidden and "abc123" not in hidden


@pytest.mark.parametrize(
    ("target", "secret", "kept"),
    [
        # DingTalk, WeCom and Feishu put the token where the host would be.
        ("dingtalk://9f1c2e3d4b5a69788796a5b4c3d2e1f0/", "9f1c2e3d4b5a", "dingtalk://"),
        ("wecombot://a1b2c3d4-e5f6-a7b8-c9d0-e1f2a3b4c5d6", "a1b2c3d4", "wecombot://"),
        ("feishu://Xy9Zq8Wv7Ut6Sr5Qp4On3Ml2", "Xy9Zq8", "feishu://"),
        # A long path segment is a webhook token.
        ("json://hooks.example.org/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXX", "T0001"),
        # Telegram's bot token parses as a port.
        ("tgram://123456789:AAHfj3kd8sl2mdkfjeiwo/-1001", "AAHfj3", "tgram://123456789:***"),
        ("json://h.example.org/x?apikey=k1k2k3&secret=s1s2", "k1k2k3", "h.example.org/x?"),
        ("json://h.example.org/x?apikey=k1k2k3&secret=s1s2", "s1s2", "secret=***"),
    ],
)
def test_redact_hides_tokens_wherever_apprise_puts_them(
    target: str, secret: str, kept: str
) -> None:
    hidden = redact(target)
    assert secret not in hidden
    assert kept in hidden


def test_delivery_errors_never_show_the_secret() -> None:
    target = "json://admin:s3cret-pass@/alerts?token=abc123"
    with pytest.raises(DeliveryError) as raised:
        check_target(target)
    for shown in (str(raised.value), raised.value.target):
        assert "s3cret" not in shown and "abc123" not in shown
