"""What people do with an alert: acknowledge, assign, comment, resolve with an outcome,
reopen (the rules are the table of hub/alerts.py).

Apart from the homes' events because they arrive differently: by alert id, from the API,
at any time, possibly on an alert a worker is changing that moment, so each takes the alert
under its home's lock (hub.arbiter) and refuses, with an :class:`AlertError` the API maps to
its HTTP status, what the alert's state does not allow. SQLite has no such lock, and two
requests may read the alert before either writes: so each change is one ``UPDATE``
conditional on the state that allowed it (:meth:`AlertCases.change`), and of two
acknowledgements at once the second is refused as if it had come after the first.

Outcome feedback (hub/feedback.py's rules): resolving ``no_activity``, ``not_up``,
``long_bathroom_stay``, ``not_returned_home`` or ``night_wandering`` as ``false_alarm`` raises
the home's factor for that kind by a bounded step, in the same transaction as the resolve:
the config stored and queued for the edge, and the alert's history saying so (``adapted``:
from, to; or ``not_adapted``: at the cap, or too soon after the last step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from contracts.alert import OUTCOMES

from . import event_order, feedback
from .alert_case import HOME_OFFLINE, AlertCases, AlertError, AlertUpdate, note_clear
from .alert_escalation import Escalation
from .notices import queue_voice_prompt
from .registry import lock_config, set_factor
from .schema import Alert, EventRow, Home
from .views import local_time
from .visits import VISIT_OUTCOMES, record_alert_visit

# How long after a resolve a dispatcher may reopen the case: a family calling back in the
# evening ("she fell again, it was not a false alarm"); older cases are history, and a new
# condition raises a new alert anyway.
REOPEN_WITHIN_S = 24 * 3600.0


class AlertActions:
    def __init__(self, cases: AlertCases, escalation: Escalation):
        self.cases = cases
        self.settings = cases.settings
        self.escalation = escalation

    def acknowledge(self, session: Session, alert_id: int, actor: str) -> AlertUpdate:
        alert, home = self.cases.take(session, alert_id)
        _require_unacknowledged(alert)
        now = self.cases.now()
        self.cases.change(
            session, alert, _require_unacknowledged,
            Alert.acknowledged.is_(False), Alert.resolved_at.is_(None),
            acknowledged=True, acknowledged_at=now, acknowledged_by=actor, updated_at=now,
        )  # fmt: skip
        self.cases.record(session, alert, actor, "acknowledged", {})
        self.escalation.cancel(session, alert)
        queue_voice_prompt(
            session,
            home,
            alert,
            prefix=self.settings.prefix,
            language=self.settings.language,
            now=now,
        )
        self.escalation.notify(session, home, alert, ("family",), "acknowledged")
        return self.cases.update_of(alert, home, "acknowledged", actor)

    def assign(self, session: Session, alert_id: int, assignee: str, actor: str) -> AlertUpdate:
        alert, home = self.cases.take(session, alert_id)
        _require_open(alert)
        self.cases.change(
            session, alert, _require_open, Alert.resolved_at.is_(None),
            assignee=assignee, updated_at=self.cases.now(),
        )  # fmt: skip
        self.cases.record(session, alert, actor, "assigned", {"assignee": assignee})
        return self.cases.update_of(alert, home, "assigned", actor)

    def comment(self, session: Session, alert_id: int, text: str, actor: str) -> AlertUpdate:
        alert, home = self.cases.take(session, alert_id)
        _require_open(alert)
        self.cases.change(
            session, alert, _require_open, Alert.resolved_at.is_(None),
            updated_at=self.cases.now(),
        )  # fmt: skip
        self.cases.record(session, alert, actor, "commented", {"text": text})
        return self.cases.update_of(alert, home, "commented", actor)

    def resolve(
        self, session: Session, alert_id: int, outcome: str, actor: str, note: str | None = None
    ) -> AlertUpdate:
        if outcome not in OUTCOMES:
            raise AlertError(f"unknown outcome {outcome!r}; one of {list(OUTCOMES)}")
        alert, home = self.cases.take(session, alert_id)
        _require_open(alert)
        self.close(session, alert, actor, outcome, self.cases.now(), note)
        if outcome == "false_alarm" and alert.kind in feedback.ADAPTING_KINDS:
            self._adapt(session, home, alert, actor)
        if outcome in VISIT_OUTCOMES:
            record_alert_visit(session, alert, actor, note)
        self.escalation.notify(session, home, alert, ("family",), "resolved")
        return self.cases.update_of(alert, home, "resolved", actor)

    def reopen(
        self, session: Session, alert_id: int, actor: str, note: str | None = None
    ) -> AlertUpdate:
        """Undo a resolve (REOPEN_WITHIN_S; see the table of hub/alerts.py)."""
        alert, home = self.cases.take(session, alert_id)
        now = self.cases.now()
        _require_reopenable(alert, now)
        newer = self.cases.open(session, alert.home_id, alert.kind)
        if newer is not None:
            raise AlertError(
                f"alert {newer.id} of the same kind is open for this home: handle that one",
                alert_id=alert_id,
            )
        detail: dict[str, Any] = {"outcome": alert.outcome, "resolved_by": alert.resolved_by}
        if note:
            detail["note"] = note
        # She got up while the case was closed: the edge's clear found no open alert. Not
        # applied, the case would say she is still down, and her next fall would be only an
        # update of it (acknowledged, if it was: nobody told).
        cleared = _cleared_while_resolved(session, alert, home, now) if alert.active else None
        state = {} if cleared is None else {"active": False, "cleared_at": cleared.at}
        self.cases.change(
            session, alert, lambda current: _require_reopenable(current, now),
            Alert.resolved_at == alert.resolved_at,
            resolved_at=None, resolved_by=None, outcome=None, updated_at=now, **state,
        )  # fmt: skip
        self.cases.record(session, alert, actor, "reopened", detail)
        if cleared is not None:
            if cleared.event is not None and cleared.event.alert_id is None:
                cleared.event.alert_id = alert.id
            detail = {"while_resolved": True, **note_clear(alert, cleared.event)}
            self.cases.record(session, alert, cleared.actor, "cleared", detail)
        return self.cases.update_of(alert, home, "reopened", actor)

    def close(
        self,
        session: Session,
        alert: Alert,
        actor: str,
        outcome: str,
        now: float,
        note: str | None = None,
    ) -> None:
        """Resolve: by a person, or by the hub when a device's fault clears (hub/alerts.py)."""
        self.cases.change(
            session, alert, _require_open, Alert.resolved_at.is_(None),
            resolved_at=now, resolved_by=actor, outcome=outcome, updated_at=now,
        )  # fmt: skip
        detail: dict[str, Any] = {"outcome": outcome}
        if note:
            detail["note"] = note
        self.cases.record(session, alert, actor, "resolved", detail)
        self.escalation.cancel(session, alert)

    def _adapt(self, session: Session, home: Home, alert: Alert, actor: str) -> None:
        """Loosen the home's limit for the alert's kind by a step, if the rules allow."""
        # The resolve is written first, so this transaction holds the store's write lock
        # and reads the config as it is now: a concurrent change cannot be lost. On
        # PostgreSQL that lock is the alert's, not the home's: the home's row is locked too
        # (as hub.absences does), or an absence announced meanwhile is written over.
        session.flush()
        lock_config(session, home)
        now = self.cases.now()
        old = feedback.factor(home.config, alert.kind)
        step = feedback.next_step(session, home.id, alert.kind, old, now)
        if not step.changed:
            detail: dict[str, Any] = {"kind": step.kind, "factor": old, "held": step.held}
            if step.until is not None:
                detail["until"] = local_time(step.until, ZoneInfo(home.timezone))
            self.cases.record(session, alert, "hub", "not_adapted", detail)
            return
        set_factor(
            session, home, alert.kind, step.new, actor=actor, reason="false_alarm",
            prefix=self.settings.prefix, now=now, alert_id=alert.id,
        )  # fmt: skip
        self.cases.record(
            session, alert, actor, "adapted",
            {"kind": step.kind, "from": step.old, "to": step.new, "reason": "false_alarm"},
        )  # fmt: skip


@dataclass(frozen=True)
class _Clear:
    """A clear that came while the case was resolved: when, by whom, and the edge's event
    (None for the hub's own home_offline)."""

    at: float
    actor: str
    event: EventRow | None = None


def _cleared_while_resolved(
    session: Session, alert: Alert, home: Home, now: float
) -> _Clear | None:
    if alert.kind == HOME_OFFLINE:
        # The hub stores no event of its own: with no open case, the home coming back
        # cleared nothing. Its status says whether it is back, and since when.
        if home.status != "online":
            return None
        return _Clear(home.status_at if home.status_at is not None else now, "hub")
    event = event_order.cleared_while_resolved(session, alert)
    return None if event is None else _Clear(event.received_at, f"edge:{event.edge}", event)


def _require_open(alert: Alert) -> None:
    if alert.resolved_at is not None:
        raise AlertError(f"already resolved ({alert.outcome})", alert_id=alert.id)


def _require_unacknowledged(alert: Alert) -> None:
    _require_open(alert)
    if alert.acknowledged:
        raise AlertError(f"already acknowledged by {alert.acknowledged_by}", alert_id=alert.id)


def _require_reopenable(alert: Alert, now: float) -> None:
    if alert.resolved_at is None:
        raise AlertError("not resolved: nothing to reopen", alert_id=alert.id)
    if alert.resolved_by == "hub":
        raise AlertError(
            "resolved by the hub when the device came back: a new fault raises a new alert",
            alert_id=alert.id,
        )
    if now - alert.resolved_at > REOPEN_WITHIN_S:
        raise AlertError(
            f"resolved more than {REOPEN_WITHIN_S / 3600:.0f} hours ago: too late to reopen",
            alert_id=alert.id,
        )
