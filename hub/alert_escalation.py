"""Escalation as it runs: an alert's policy (hub/escalation.py) applied step by step, as
rows in the store.

Each step tells its audience (notices queued in the transaction of the change that caused
it) and leaves one timer row for the next step, so a hub killed at any moment neither loses
a step nor sends one twice; :meth:`Escalation.fire_due` runs the steps whose time has come.
Acknowledging or resolving an alert removes its timer (hub/alert_actions.py); so does a
clear, unless the alert is critical (hub/alerts.py).

The policies themselves stay pure values in hub/escalation.py, which hub.notices and
hub.ward_routing read: this module writes through those two.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import arbiter, ward_routing
from .alert_case import AlertCases, AlertUpdate
from .escalation import Audience
from .notices import queue_notices
from .schema import Alert, EscalationTimer, Home


class Escalation:
    def __init__(self, cases: AlertCases):
        self.cases = cases
        self.settings = cases.settings

    def fire_due(self, session: Session, now: float | None = None) -> list[AlertUpdate]:
        """Escalation steps whose time has come: notify, and set the next step's timer."""
        now = self.cases.now() if now is None else now
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
            alert, home = self.cases.take(session, timer.alert_id)
            if alert.acknowledged or alert.resolved_at is not None:
                session.delete(timer)
                continue
            updates.extend(self.run(session, home, alert, timer.step, "escalated"))
        return updates

    def run(
        self, session: Session, home: Home, alert: Alert, step: int, change: str, new: bool = False
    ) -> list[AlertUpdate]:
        """Run ``step`` of the alert's policy now and set the timer of the next step
        (``new``: the alert was inserted by this transaction, so it has no timer yet)."""
        policy = ward_routing.policy_for(
            session, home, alert.severity
        ) or self.settings.policies.for_severity(alert.severity)
        audience = ward_routing.route(
            session,
            home,
            alert,
            policy.audience(step),
            now=self.cases.now(),
            record=self.cases.record,
        )
        alert.escalation_step = step
        reached = self.notify(session, home, alert, audience, change)
        delay = policy.delay_after(step)
        if delay is None:
            if not new:
                self.cancel(session, alert)
        else:
            due_at = self.cases.now() + delay
            timer = None if new else session.get(EscalationTimer, alert.id)
            if timer is None:
                session.add(EscalationTimer(alert_id=alert.id, step=step + 1, due_at=due_at))
            else:
                timer.step, timer.due_at = step + 1, due_at
        if change != "escalated":
            return []
        unreached = [who for who in audience if who not in reached]
        detail = {"step": step, "notify": reached, "no_channel": unreached}
        self.cases.record(session, alert, "hub", "escalated", detail)
        return [self.cases.update_of(alert, home, "escalated", "hub")]

    def cancel(self, session: Session, alert: Alert) -> None:
        """No further step for the alert."""
        # One DELETE, not a read and a delete; a timer object the session holds goes too.
        session.execute(delete(EscalationTimer).where(EscalationTimer.alert_id == alert.id))

    def notify(
        self,
        session: Session,
        home: Home,
        alert: Alert,
        audience: tuple[Audience, ...],
        change: str,
    ) -> list[Audience]:
        """Queue the change's notices for ``audience``; the audiences reached."""
        return queue_notices(
            session,
            home,
            alert,
            audience,
            change,
            language=self.settings.language,
            contact_targets=self.settings.contact_targets,
            now=self.cases.now(),
            record=self.cases.record,
        )
