"""Outbound notifications: one message to one apprise URL, with failures as ``DeliveryError``.

A target is any apprise URL: DingTalk (``dingtalk://``), WeCom (``wecombot://``), Feishu
(``feishu://``), SMS gateways, e-mail (``mailto://``), webhooks (``json://``, ``form://``).
Each call builds its own ``apprise.Apprise`` holding just that target, so a broken or slow
target never delays or breaks another one.

Targets carry credentials (bot tokens, passwords), so anything shown about a target goes
through ``redact`` first (:mod:`hub.redaction`), and the secrets of every target the hub
uses are remembered, so that a log line of apprise or urllib3 that quotes one hides it.

>>> redact("mailto://alerts:hunter2@smtp.example.org/?to=daughter@example.org")
'mailto://alerts:***@smtp.example.org/?to=***'
"""

from __future__ import annotations

import asyncio
import logging
import time

import apprise

from .errors import DeliveryError
from .redaction import redact, remember_target

__all__ = ["check_target", "deliver", "redact"]

log = logging.getLogger(__name__)


def check_target(target: str) -> None:
    """Raise ``DeliveryError`` unless apprise understands ``target`` as exactly one URL.

    Parsing needs no network, but the first call in a process loads apprise's plugins
    (about 0.4 s); an API handler may want to run it in a thread.
    """
    _notifier_for(target)


def _notifier_for(target: str) -> apprise.Apprise:
    if not isinstance(target, str) or not target.strip():
        raise DeliveryError("no notification URL given", target=redact(str(target)))
    remember_target(target)  # before apprise first logs it
    notifier = apprise.Apprise()
    try:
        added = notifier.add(target)
    except Exception as exc:  # apprise reports bad URLs by a False, but be sure
        raise DeliveryError(
            f"apprise cannot read this URL ({type(exc).__name__})", target=redact(target)
        ) from exc
    if not added or len(notifier) == 0:
        raise DeliveryError(
            "not a valid or supported apprise URL (unknown scheme, or a required part such "
            "as the token, host or recipient is missing or malformed)",
            target=redact(target),
        )
    if len(notifier) != 1:
        # apprise.add() splits on commas and spaces: one target string, several channels.
        raise DeliveryError(
            f"holds {len(notifier)} notification URLs; give one per target",
            target=redact(target),
        )
    return notifier


async def deliver(target: str, title: str, body: str, *, timeout_s: float = 10.0) -> None:
    """Send one notification to one apprise URL; raise ``DeliveryError`` if it did not go.

    Fails when the URL is not a valid apprise URL, when the service refuses or cannot be
    reached, or when it has not answered within ``timeout_s`` seconds.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, not {timeout_s}")
    notifier = _notifier_for(target)
    shown = redact(target)
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout_s):
            # apprise's notify blocks. Its own call timeout lets the worker thread return at
            # the deadline too, instead of occupying the default executor for as long as the
            # service's socket timeouts allow.
            ok, reason = await asyncio.to_thread(_notify, notifier, title, body, timeout_s)
    except TimeoutError as exc:
        raise DeliveryError(f"no answer within {timeout_s:g} s", target=shown) from exc
    except Exception as exc:
        # Only the type: an exception's text may quote the URL, token included.
        raise DeliveryError(f"apprise failed ({type(exc).__name__})", target=shown) from exc
    if not ok:
        raise DeliveryError(reason, target=shown)
    log.debug("delivered to %s in %.2f s", shown, time.monotonic() - started)


def _notify(notifier: apprise.Apprise, title: str, body: str, timeout_s: float) -> tuple[bool, str]:
    """Runs in a worker thread: notify, and say why it failed while the result is open."""
    with notifier.notify(body=body, title=title, timeout=timeout_s) as result:
        status = result.status
        if status == apprise.AppriseResultStatus.SUCCESS:
            return True, ""
        if status == apprise.AppriseResultStatus.TIMEOUT:
            return False, f"no answer within {timeout_s:g} s"
        # apprise keeps the service's own warnings ("error=500", "connection error") in the
        # result; they are the clearest reason there is. Its messages show no credentials.
        problems = [
            entry.message.strip()
            for entry in result.logs()
            if entry.level in {"WARNING", "ERROR", "CRITICAL"}
        ]
        detail = "; ".join(dict.fromkeys(problems)) or f"apprise status {status.name}"
        return False, f"not delivered: {detail}"
