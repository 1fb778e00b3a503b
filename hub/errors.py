"""Errors of the hub package: one root, ``HubError``, so a caller can catch the hub's own
failures apart from bugs; third-party errors are translated where they enter the hub."""

from __future__ import annotations


class HubError(Exception):
    """Root of the hub's errors. ``home``, ``topic`` and ``alert_id`` say where, when known.

    >>> str(HubError("no such alert", home="h001", alert_id=42))
    'no such alert (home h001, alert 42)'
    """

    def __init__(
        self,
        reason: str,
        *,
        home: str | None = None,
        topic: str | None = None,
        alert_id: int | str | None = None,
    ) -> None:
        self.reason = reason
        self.home = home
        self.topic = topic
        self.alert_id = alert_id
        super().__init__(self._with_context(self._describe()))

    def _describe(self) -> str:
        return self.reason

    def _with_context(self, text: str) -> str:
        context = [
            f"{label} {value}"
            for label, value in (
                ("home", self.home),
                ("topic", self.topic),
                ("alert", self.alert_id),
            )
            if value is not None
        ]
        return f"{text} ({', '.join(context)})" if context else text


class DeliveryError(HubError):
    """A notification could not be sent to one target.

    ``target`` is the apprise URL with its secrets already hidden (``hub.outbound.redact``):
    this error ends up in logs and API answers, where a token must never appear.

    >>> error = DeliveryError("receiver answered 500", target="json://example.org/***")
    >>> str(error), error.reason
    ('json://example.org/***: receiver answered 500', 'receiver answered 500')
    """

    def __init__(
        self,
        reason: str,
        *,
        target: str,
        home: str | None = None,
        topic: str | None = None,
        alert_id: int | str | None = None,
    ) -> None:
        self.target = target
        super().__init__(reason, home=home, topic=topic, alert_id=alert_id)

    def _describe(self) -> str:
        # Lead with the target: a dispatcher's log then shows which channel broke.
        return f"{self.target}: {self.reason}"


class FeedOverflowError(HubError):
    """A live-feed subscriber fell ``max_queue`` messages behind and was cut off.

    Its client should reconnect and reload the current state rather than replay a backlog.
    """

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        super().__init__(f"subscriber fell {max_queue} messages behind and was closed")
