"""The alert manager: events from homes and actions of people -> alert life cycle.

An explicit state machine in the spirit of ThingsBoard's alarms and Home Assistant's alert
entity. An alert is **active or cleared** (what the home's detector says) × **unacknowledged
or acknowledged** (what people did), until someone **resolves** it with an outcome. One
unresolved alert per home and kind: a repeat of the condition updates (or re-activates) it.

=================  ==========================================  ============================
action             allowed when                                effect
=================  ==========================================  ============================
raise / update     (from the edge) always                      new alert, or update the open
                                                               one (re-activate if cleared)
clear              (from the edge) the alert is active         cleared; escalation stops
                                                               unless critical
acknowledge        not resolved, not yet acknowledged          escalation stops; the home
                                                               hears "help is coming"
assign / comment   not resolved                                recorded
resolve            not resolved; with an outcome               closed; a false alarm of a
                                                               routine kind loosens that
                                                               home's limit for the kind
reopen             resolved by a person less than a day ago,   open again as it was before
                   and no other open alert of its home and     the resolve (acknowledged
                   kind                                        or not); no new escalation
=================  ==========================================  ============================

Every change is a row of ``alert_history`` (who, when, what). A notification that cannot be
sent because nobody configured a channel for its audience is a change too (``no_channel``,
once per alert and audience): the history tells what was sent, not what was meant to be.
Escalation timers and notifications are rows too, written in the same transaction as the
change that caused them, so a hub killed at any moment loses neither. The manager works
inside a caller's session and never commits; the caller publishes the returned
:class:`AlertUpdate` s after commit.

Outcome feedback (hub/feedback.py's rules): resolving ``no_activity``, ``not_up``,
``long_bathroom_stay``, ``not_returned_home`` or ``night_wandering`` as ``false_alarm`` raises
the home's factor for that kind by a bounded step, in the same transaction as the resolve:
the config stored and queued for the edge, and the alert's history saying so (``adapted``:
from, to; or ``not_adapted``: at the cap, or too soon after the last step).

A few kinds are consequences of a fall rather than news: while a fall alert of the home is
active, ``no_activity``, ``long_bathroom_stay`` and ``not_up`` are recorded on it
(``related``) instead of opening alerts of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, inspect, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from contracts.alert import OUTCOMES, SEVERITY_RANK
from contracts.topics import DEFAULT_PREFIX

from . import arbiter, event_order, feedback, ward_routing
from .errors import HubError
from .escalation import DEFAULT_POLICIES, Audience, EscalationPolicies
from .notices import queue_notices, queue_voice_prompt
from .registry import set_factor
from .schema import Alert, AlertChange, EscalationTimer, EventRow, Home
from .views import alert_document, local_time
from .visits import VISIT_OUTCOMES, record_alert_visit

SUBSUMED_BY: dict[str, tuple[str, ...]] = {
    "no_activity": ("fall",),
    "long_bathroom_stay": ("fall",),
    "not_up": ("fall",),
}
# A device back online or a battery replaced needs nobody to close the case.
RESOLVED_ON_CLEAR = frozenset(
    {"device_offline", "battery_low", "home_offline", "sensor_stuck", "sensor_flapping"}
)
# Raised by the hub itself: a home's edge has said nothing (or "offline") for this long, so
# nothing that happens there reaches the station.
HOME_OFFLINE = "home_offline"

# How long after a resolve a dispatcher may reopen the case: a family calling back in the
# evening ("she fell again, it was not a false alarm"); older cases are history, and a new
# condition raises a new alert anyway.
REOPEN_WITHIN_S = 24 * 3600.0


class AlertError(HubError):
    """An action on an alert that cannot be done; ``status`` is the HTTP status it maps to."""

    status = 409

    def __init__(self, reason: str, *, alert_id: int | None = None):
        super().__init__(reason, alert_id=alert_id)


class AlertNotFound(AlertError):
    status = 404


@dataclass(frozen=True)
class AlertUpdate:
    """A change to publish once committed: the alert as it is now, and what happened."""

    change: str
    actor: str
    alert: Mapping[str, Any]

    @property
    def station(self) -> str:
        return self.alert["station"]

    @property
    def resident(self) -> str:
        return self.alert["resident"]


class AlertManager:
    def __init__(
        self,
        *,
        prefix: str = DEFAULT_PREFIX,
        policies: EscalationPolicies = DEFAULT_POLICIES,
        contact_targets: Mapping[str, str] | None = None,
        language: str = "zh",
        home_offline_after_s: float = 900.0,
        clock: Callable[[], float] = time.time,
    ):
        """``contact_targets`` maps a contact's notify channel ("sms", "call", "wechat") to
        an apprise URL template with ``{phone}`` and ``{name}``; without one, that channel
        reaches the contact through the family app only."""
        self.prefix = prefix
        self.policies = policies
        self.contact_targets = dict(contact_targets or {})
        self.language = language
        self.home_offline_after_s = home_offline_after_s
        self.clock = clock

    # -- from the homes -------------------------------------------------------------------

    def on_event(self, session: Session, home: Home, event: EventRow) -> list[AlertUpdate]:
        """Apply one stored event; links it to its alert (``event.alert_id``).

        A deactivated home's events are kept as a record but open or change no alert: nobody
        is paged about a home the station no longer looks after (hub.registry)."""
        if home.deactivated_at is not None:
            return []
        actor = f"edge:{event.edge}"
        alert = self._open(session, home.id, event.kind)
        # Several workers (hub.arbiter): the home is locked, and event time decides.
        ordered = arbiter.shared_store(session)
        if event.state == "cleared":
            if alert is None:
                return []  # kept unlinked: a raise handled later finds it (hub.event_order)
            stale = ordered and event_order.stale_clear(session, alert, event)
            event.alert_id = alert.id
            return [] if stale else self._clear(session, home, alert, event, actor)
        if alert is None:
            parent = self._subsuming(session, home.id, event.kind)
            if parent is not None:
                event.alert_id = parent.id
                return self._relate(session, home, parent, event, actor)
            updates = self._raise(session, home, event, actor)
            early = event_order.early_clear(session, event) if ordered else None
            if early is not None and event.alert_id is not None:
                raised = session.get(Alert, event.alert_id)
                assert raised is not None
                early.alert_id = raised.id
                updates += self._clear(session, home, raised, early, f"edge:{early.edge}")
            return updates
        event.alert_id = alert.id
        if ordered and not alert.active and event_order.cleared_since(session, alert, event):
            return self._relate(session, home, alert, event, actor)  # older than its clear
        return self._update(session, home, alert, event, actor)

    def clear_refused(self, session: Session, home_id: str, kind: str, edge: str) -> str | None:
        """Why a ``cleared`` from ``edge`` may not clear the home's open alert of ``kind``
        (None: it may). Only the edge that raised an alert clears it: a second box of the
        home, or anyone else who can write on its topic, cannot stop its escalation."""
        first_edge = (
            select(EventRow.edge)
            .where(EventRow.alert_id == Alert.id)
            .order_by(EventRow.id)
            .limit(1)
            .scalar_subquery()
        )
        found = session.execute(  # the open alert and its raiser in one query
            select(Alert, first_edge).where(
                Alert.home_id == home_id, Alert.kind == kind, Alert.resolved_at.is_(None)
            )
        ).first()
        if found is None:
            return None
        alert, raiser = found
        if raiser == edge:
            return None
        if raiser is None:
            return f"alert {alert.id} ({kind}) is the hub's own, not an edge's to clear"
        return f"alert {alert.id} ({kind}) was raised by edge {raiser!r}, not {edge!r}"

    def _open(self, session: Session, home_id: str, kind: str) -> Alert | None:
        return session.scalars(
            select(Alert).where(
                Alert.home_id == home_id, Alert.kind == kind, Alert.resolved_at.is_(None)
            )
        ).first()

    def _subsuming(self, session: Session, home_id: str, kind: str) -> Alert | None:
        for parent_kind in SUBSUMED_BY.get(kind, ()):
            parent = self._open(session, home_id, parent_kind)
            if parent is not None and parent.active:
                return parent
        return None

    def _raise(
        self, session: Session, home: Home, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        now = self.clock()
        alert = Alert(
            home_id=home.id,
            station_id=home.station_id,
            kind=event.kind,
            severity=ward_routing.severity_for(session, home, event.kind, event.severity),
            active=True,
            acknowledged=False,
            started=event.started,
            raised_at=now,
            updated_at=now,
            detector=event.detector,
            device=event.device,
            evidence=dict(event.evidence),
            related=[],
            escalation_step=0,
        )
        if arbiter.shared_store(session):
            inserted, existing = self._insert_unless_open(session, alert)
            if existing is not None:  # another transaction opened it first: update that one
                event.alert_id = existing.id
                return self._update(session, home, existing, event, actor)
            assert inserted is not None
            alert = inserted
        else:
            session.add(alert)
            session.flush()  # the id, for the history and the event
        event.alert_id = alert.id
        self._record(session, alert, actor, "raised", {"severity": alert.severity})
        self._escalate(session, home, alert, step=0, change="raised", new=True)
        return [self._update_of(alert, home, "raised", actor)]

    def _insert_unless_open(
        self, session: Session, alert: Alert
    ) -> tuple[Alert | None, Alert | None]:
        """Insert the new alert (the row inserted, None), or, when the partial unique index
        says one of its home and kind is open already (a writer that did not hold the
        home's lock), leave it (None, that one). One ``INSERT ... ON CONFLICT DO NOTHING``
        on that index: the refusal needs no savepoint, and a concurrent insert of the same
        home and kind is waited for as before."""
        state = inspect(alert)
        values = {c.key: state.dict[c.key] for c in Alert.__table__.columns if c.key in state.dict}
        statement = (
            postgresql.insert(Alert)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=["home_id", "kind"], index_where=Alert.resolved_at.is_(None)
            )
            .returning(Alert)
        )
        for _ in range(2):  # an open one resolved between the insert and the read: again
            inserted = session.scalars(statement).first()
            if inserted is not None:
                return inserted, None
            existing = self._open(session, alert.home_id, alert.kind)
            if existing is not None:
                return None, existing
        raise AlertError(f"the open {alert.kind} alert of {alert.home_id} keeps changing")

    def _update(
        self, session: Session, home: Home, alert: Alert, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        now = self.clock()
        detail: dict[str, Any] = {}
        severity = ward_routing.severity_for(session, home, event.kind, event.severity)
        rose = SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]
        if rose:
            detail["severity"] = [alert.severity, severity]
            alert.severity = severity
        if not alert.active:
            alert.active, alert.cleared_at = True, None
            detail["reactivated"] = True
        alert.evidence = dict(event.evidence)
        alert.updated_at = now
        self._record(session, alert, actor, "updated", detail)
        if not alert.acknowledged and (rose or detail.get("reactivated")):
            # Worse than before, or back again: the new severity's policy starts over.
            self._escalate(session, home, alert, step=0, change="updated")
        return [self._update_of(alert, home, "updated", actor)]

    def _relate(
        self, session: Session, home: Home, parent: Alert, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        """Record the event on ``parent`` without changing its state (a consequence of a
        fall, or an update older than the alert's clear)."""
        if event.kind not in parent.related and event.kind != parent.kind:
            parent.related = [*parent.related, event.kind]
        parent.updated_at = self.clock()
        self._record(
            session, parent, actor, "related", {"kind": event.kind, "evidence": event.evidence}
        )
        return [self._update_of(parent, home, "updated", actor)]

    def _clear(
        self, session: Session, home: Home, alert: Alert, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        if not alert.active:
            return []
        now = self.clock()
        alert.active, alert.cleared_at, alert.updated_at = False, now, now
        self._record(session, alert, actor, "cleared", {})
        if alert.kind in RESOLVED_ON_CLEAR:
            self._close(session, alert, "hub", "recovered", now)
            return [self._update_of(alert, home, "resolved", "hub")]
        if alert.severity != "critical":
            # She came out of the bathroom, the pulse settled: no one else needs waking.
            # A fall or an SOS stays on the escalation path until a person acknowledges it.
            self._cancel_timer(session, alert)
        return [self._update_of(alert, home, "cleared", actor)]

    # -- what the hub sees of the homes' edges ---------------------------------------------

    def homes_offline(self, session: Session, now: float | None = None) -> list[AlertUpdate]:
        """Raise ``home_offline`` for each home whose edge has been offline long enough."""
        now = self.clock() if now is None else now
        homes = session.scalars(
            select(Home).where(
                Home.status == "offline",
                Home.status_at <= now - self.home_offline_after_s,
                Home.deactivated_at.is_(None),
            )
        )
        updates = []
        for home in homes:
            if not arbiter.try_lock_home(session, home.id):
                continue  # another worker is at this home: the next tick sees its result
            if self._open(session, home.id, HOME_OFFLINE) is None:
                since = home.status_at or now
                event = self._hub_event(home, "raised", since, {"offline_since": since})
                updates.extend(self._raise(session, home, event, "hub"))
        return updates

    def raise_hub_alert(
        self, session: Session, home: Home, kind: str, severity: str, started: float, evidence: dict
    ) -> list[AlertUpdate]:
        """The hub's own alert of ``kind`` (e.g. ``visit_overdue``), unless one is open."""
        if home.deactivated_at is not None or self._open(session, home.id, kind) is not None:
            return []
        event = self._hub_event(home, "raised", started, evidence)
        event.kind, event.severity = kind, severity
        return self._raise(session, home, event, "hub")

    def home_online(self, session: Session, home: Home) -> list[AlertUpdate]:
        alert = self._open(session, home.id, HOME_OFFLINE)
        if alert is None:
            return []
        event = self._hub_event(home, "cleared", self.clock(), {})
        return self._clear(session, home, alert, event, "hub")

    @staticmethod
    def _hub_event(home: Home, state: str, started: float, evidence: dict) -> EventRow:
        # Not stored: the hub's own observation, shaped like an edge's event for _raise.
        return EventRow(
            edge="hub", seq=0, home_id=home.id, kind=HOME_OFFLINE, state=state,
            severity="warning", ts=started, started=started, detector="hub",
            device=None, evidence=evidence, received_at=started,
        )  # fmt: skip

    # -- from people ----------------------------------------------------------------------

    def acknowledge(self, session: Session, alert_id: int, actor: str) -> AlertUpdate:
        alert, home = self._get(session, alert_id)
        self._require_open(alert)
        if alert.acknowledged:
            raise AlertError(f"already acknowledged by {alert.acknowledged_by}", alert_id=alert_id)
        now = self.clock()
        alert.acknowledged, alert.acknowledged_at, alert.acknowledged_by = True, now, actor
        alert.updated_at = now
        self._record(session, alert, actor, "acknowledged", {})
        self._cancel_timer(session, alert)
        queue_voice_prompt(
            session, home, alert, prefix=self.prefix, language=self.language, now=now
        )
        self._notify(session, home, alert, ("family",), "acknowledged")
        return self._update_of(alert, home, "acknowledged", actor)

    def assign(self, session: Session, alert_id: int, assignee: str, actor: str) -> AlertUpdate:
        alert, home = self._get(session, alert_id)
        self._require_open(alert)
        alert.assignee, alert.updated_at = assignee, self.clock()
        self._record(session, alert, actor, "assigned", {"assignee": assignee})
        return self._update_of(alert, home, "assigned", actor)

    def comment(self, session: Session, alert_id: int, text: str, actor: str) -> AlertUpdate:
        alert, home = self._get(session, alert_id)
        alert.updated_at = self.clock()
        self._record(session, alert, actor, "commented", {"text": text})
        return self._update_of(alert, home, "commented", actor)

    def resolve(
        self, session: Session, alert_id: int, outcome: str, actor: str, note: str | None = None
    ) -> AlertUpdate:
        if outcome not in OUTCOMES:
            raise AlertError(f"unknown outcome {outcome!r}; one of {list(OUTCOMES)}")
        alert, home = self._get(session, alert_id)
        self._require_open(alert)
        self._close(session, alert, actor, outcome, self.clock(), note)
        if outcome == "false_alarm" and alert.kind in feedback.ADAPTING_KINDS:
            self._adapt(session, home, alert, actor)
        if outcome in VISIT_OUTCOMES:
            record_alert_visit(session, alert, actor, note)
        self._notify(session, home, alert, ("family",), "resolved")
        return self._update_of(alert, home, "resolved", actor)

    def reopen(
        self, session: Session, alert_id: int, actor: str, note: str | None = None
    ) -> AlertUpdate:
        """Undo a resolve (REOPEN_WITHIN_S; see the table of the module docstring)."""
        alert, home = self._get(session, alert_id)
        if alert.resolved_at is None:
            raise AlertError("not resolved: nothing to reopen", alert_id=alert_id)
        if alert.resolved_by == "hub":
            raise AlertError(
                "resolved by the hub when the device came back: a new fault raises a new alert",
                alert_id=alert_id,
            )
        now = self.clock()
        if now - alert.resolved_at > REOPEN_WITHIN_S:
            raise AlertError(
                f"resolved more than {REOPEN_WITHIN_S / 3600:.0f} hours ago: too late to reopen",
                alert_id=alert_id,
            )
        newer = self._open(session, alert.home_id, alert.kind)
        if newer is not None:
            raise AlertError(
                f"alert {newer.id} of the same kind is open for this home: handle that one",
                alert_id=alert_id,
            )
        detail: dict[str, Any] = {"outcome": alert.outcome, "resolved_by": alert.resolved_by}
        if note:
            detail["note"] = note
        alert.resolved_at, alert.resolved_by, alert.outcome = None, None, None
        alert.updated_at = now
        self._record(session, alert, actor, "reopened", detail)
        return self._update_of(alert, home, "reopened", actor)

    def _adapt(self, session: Session, home: Home, alert: Alert, actor: str) -> None:
        """Loosen the home's limit for the alert's kind by a step, if the rules allow."""
        # The resolve is written first, so this transaction holds the store's write lock
        # and reads the config as it is now: a concurrent change cannot be lost.
        session.flush()
        session.refresh(home)
        now = self.clock()
        old = feedback.factor(home.config, alert.kind)
        step = feedback.next_step(session, home.id, alert.kind, old, now)
        if not step.changed:
            detail: dict[str, Any] = {"kind": step.kind, "factor": old, "held": step.held}
            if step.until is not None:
                detail["until"] = local_time(step.until, ZoneInfo(home.timezone))
            self._record(session, alert, "hub", "not_adapted", detail)
            return
        set_factor(
            session, home, alert.kind, step.new, actor=actor, reason="false_alarm",
            prefix=self.prefix, now=now, alert_id=alert.id,
        )  # fmt: skip
        self._record(
            session, alert, actor, "adapted",
            {"kind": step.kind, "from": step.old, "to": step.new, "reason": "false_alarm"},
        )  # fmt: skip

    def _close(
        self,
        session: Session,
        alert: Alert,
        actor: str,
        outcome: str,
        now: float,
        note: str | None = None,
    ) -> None:
        alert.resolved_at, alert.resolved_by, alert.outcome = now, actor, outcome
        alert.updated_at = now
        detail: dict[str, Any] = {"outcome": outcome}
        if note:
            detail["note"] = note
        self._record(session, alert, actor, "resolved", detail)
        self._cancel_timer(session, alert)

    def _get(self, session: Session, alert_id: int) -> tuple[Alert, Home]:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertNotFound("no such alert", alert_id=alert_id)
        if arbiter.shared_store(session):  # a person's action and a worker's take turns
            arbiter.lock_homes(session, [alert.home_id])
            session.refresh(alert)
        home = session.get(Home, alert.home_id)
        assert home is not None  # a foreign key
        return alert, home

    @staticmethod
    def _require_open(alert: Alert) -> None:
        if alert.resolved_at is not None:
            raise AlertError(f"already resolved ({alert.outcome})", alert_id=alert.id)

    # -- escalation -----------------------------------------------------------------------

    def fire_due(self, session: Session, now: float | None = None) -> list[AlertUpdate]:
        """Escalation steps whose time has come: notify, and set the next step's timer."""
        now = self.clock() if now is None else now
        due = session.execute(
            select(EscalationTimer.alert_id, Alert.home_id)
            .join(Alert, Alert.id == EscalationTimer.alert_id)
            .where(EscalationTimer.due_at <= now)
            .order_by(EscalationTimer.due_at)
        ).all()
        updates = []
        for alert_id, home_id in due:
            # Claimed under its home's lock (hub.arbiter): a step another worker fired has
            # moved or removed the timer by the time the lock is ours.
            if not arbiter.try_lock_home(session, home_id):
                continue
            timer = session.scalars(
                select(EscalationTimer)
                .where(EscalationTimer.alert_id == alert_id, EscalationTimer.due_at <= now)
                .execution_options(populate_existing=True)
            ).first()
            if timer is None:
                continue
            alert, home = self._get(session, timer.alert_id)
            if alert.acknowledged or alert.resolved_at is not None:
                session.delete(timer)
                continue
            updates.extend(self._escalate(session, home, alert, timer.step, "escalated"))
        return updates

    def _escalate(
        self, session: Session, home: Home, alert: Alert, step: int, change: str, new: bool = False
    ) -> list[AlertUpdate]:
        """Run ``step`` of the alert's policy now and set the timer of the next step
        (``new``: the alert was inserted by this transaction, so it has no timer yet)."""
        policy = ward_routing.policy_for(
            session, home, alert.severity
        ) or self.policies.for_severity(alert.severity)
        audience = ward_routing.route(
            session, home, alert, policy.audience(step), now=self.clock(), record=self._record
        )
        alert.escalation_step = step
        reached = self._notify(session, home, alert, audience, change)
        delay = policy.delay_after(step)
        if delay is None:
            if not new:
                self._cancel_timer(session, alert)
        else:
            due_at = self.clock() + delay
            timer = None if new else session.get(EscalationTimer, alert.id)
            if timer is None:
                session.add(EscalationTimer(alert_id=alert.id, step=step + 1, due_at=due_at))
            else:
                timer.step, timer.due_at = step + 1, due_at
        if change != "escalated":
            return []
        unreached = [who for who in audience if who not in reached]
        detail = {"step": step, "notify": reached, "no_channel": unreached}
        self._record(session, alert, "hub", "escalated", detail)
        return [self._update_of(alert, home, "escalated", "hub")]

    def _cancel_timer(self, session: Session, alert: Alert) -> None:
        # One DELETE, not a read and a delete; a timer object the session holds goes too.
        session.execute(delete(EscalationTimer).where(EscalationTimer.alert_id == alert.id))

    # -- side effects, as rows in the same transaction -------------------------------------

    def _notify(
        self,
        session: Session,
        home: Home,
        alert: Alert,
        audience: tuple[Audience, ...],
        change: str,
    ) -> list[Audience]:
        return queue_notices(
            session,
            home,
            alert,
            audience,
            change,
            language=self.language,
            contact_targets=self.contact_targets,
            now=self.clock(),
            record=self._record,
        )

    def _record(
        self, session: Session, alert: Alert, actor: str, action: str, detail: dict[str, Any]
    ) -> None:
        session.add(
            AlertChange(
                alert_id=alert.id, at=self.clock(), actor=actor, action=action, detail=detail
            )
        )

    @staticmethod
    def _update_of(alert: Alert, home: Home, change: str, actor: str) -> AlertUpdate:
        return AlertUpdate(change=change, actor=actor, alert=alert_document(alert, home))
