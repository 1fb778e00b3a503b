"""The family's morning summary: each family user who chose a time (``users.summary_at``,
"HH:MM" in the resident's time zone) gets, once a day per resident, a short summary of the
previous day and night (hub.summary_facts) on the family app and through their channels.

Once per user, resident and day: the ``family_summaries`` row (a unique key) is written in the
same transaction as its deliveries, so a restart neither repeats nor loses one. Its channels
are the user's own: their browsers' Web Push subscriptions and the resident's contacts whose
phone is the user's (the ``ELDERCARE_CONTACT_TARGETS`` templates, as alerts use). The
deliveries go out like every other (hub.deliveries: recorded, retried, "sent" only once
sent). Choosing a time that has passed today brings yesterday's summary at once (the
scheduler wakes when a time is saved). A summary made more than ``SEND_WITHIN_S`` after the
chosen time (the hub was down all morning) is shown on the app but not sent: a morning
message at night is noise.

``SummaryScheduler.run`` is the hub's ``summaries`` task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from .channels import family_targets
from .influx import InfluxApi
from .schema import Delivery, FamilySummary, Home, PushSubscription, User
from .store import Store
from .summary_facts import day_facts, summary_text
from .webpush import TARGET_PREFIX

log = logging.getLogger("hub.summaries")

SEND_WITHIN_S = 4 * 3600.0
TICK_S = 30.0
AUDIENCE = "summary"
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
TITLES = {"zh": "{name} 昨日小结", "en": "{name}: yesterday in short"}


def due_day(home: Home, summary_at: str, now: float) -> tuple[date, float] | None:
    """The day whose summary is due at ``now`` for this chosen time (yesterday, once the
    chosen time has come today), and when it came; None before the time."""
    tz = ZoneInfo(home.timezone)
    local = datetime.fromtimestamp(now, tz)
    hours, minutes = (int(part) for part in summary_at.split(":"))
    chosen = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if local < chosen:
        return None
    return local.date() - timedelta(days=1), chosen.timestamp()


def user_targets(
    session: Session, user: User, home: Home, contact_targets: dict[str, str]
) -> list[str]:
    subs = session.scalars(
        select(PushSubscription.id).where(PushSubscription.username == user.username)
    ).all()
    targets = [f"{TARGET_PREFIX}{sub_id}" for sub_id in subs]
    if user.phone:
        own = [c for c in home.config.get("contacts", []) if c.get("phone") == user.phone]
        targets += family_targets({"contacts": own}, contact_targets)
    return targets


def make_summary(
    session: Session,
    user: User,
    home: Home,
    day: date,
    now: float,
    *,
    influx: InfluxApi | None = None,
    contact_targets: dict[str, str] | None = None,
    send: bool = True,
    language: str = "zh",
) -> FamilySummary:
    """Write the summary of ``day`` for ``user`` and queue its deliveries (``send``)."""
    facts = day_facts(session, influx, home, day, now)
    row = FamilySummary(
        username=user.username,
        home_id=home.id,
        day=day.isoformat(),
        created_at=now,
        facts=facts,
        text_zh=summary_text(facts, "zh"),
        text_en=summary_text(facts, "en"),
        channels=0,
    )
    session.add(row)
    session.flush()  # the unique key: a second one for the day fails here
    if send:
        targets = user_targets(session, user, home, contact_targets or {})
        title = TITLES.get(language, TITLES["zh"]).format(name=home.resident_name)
        body = row.text_en if language == "en" else row.text_zh
        for target in targets:
            delivery = Delivery(summary_id=row.id, audience=AUDIENCE, target=target)
            delivery.title, delivery.body, delivery.state = title, body, "pending"
            delivery.attempts, delivery.next_at, delivery.created_at = 0, now, now
            session.add(delivery)
        row.channels = len(targets)
    return row


def pending(session: Session, now: float) -> list[tuple[str, str, date, bool]]:
    """(user, home, day, send) of every summary due and not yet made."""
    users = session.scalars(
        select(User).where(
            User.role == "family", User.deactivated_at.is_(None), User.summary_at.is_not(None)
        )
    ).all()
    due = []
    for user in users:
        if not user.summary_at or not TIME_OF_DAY.match(user.summary_at):
            continue
        for home_id in user.residents:
            home = session.get(Home, home_id)
            if home is None or home.deactivated_at is not None:
                continue
            found = due_day(home, user.summary_at, now)
            if found is None:
                continue
            day, chosen = found
            made = session.scalar(
                select(FamilySummary.id).where(
                    FamilySummary.username == user.username,
                    FamilySummary.home_id == home_id,
                    FamilySummary.day == day.isoformat(),
                )
            )
            if made is None:
                due.append((user.username, home_id, day, now - chosen <= SEND_WITHIN_S))
    return due


class SummaryScheduler:
    """``run()`` is the hub's ``summaries`` task; ``ready`` is the delivery worker's news."""

    def __init__(
        self,
        store: Store,
        *,
        contact_targets: dict[str, str],
        language: str,
        influx: Callable[[], InfluxApi | None],
        deliveries_ready: asyncio.Event,
        store_failed: Callable[[str, BaseException], Awaitable[bool]],
        clock: Callable[[], float] = time.time,
        tick_s: float = TICK_S,
    ):
        self.store = store
        self.contact_targets = contact_targets
        self.language = language
        self.influx = influx
        self.deliveries_ready = deliveries_ready
        self._store_failed = store_failed
        self.clock = clock
        self.tick_s = tick_s
        self.made = 0
        # Set when a family user changes their time: one already passed today is made now.
        self.wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                made = await asyncio.to_thread(self.make_due)
            except SQLAlchemyError as exc:
                await self._store_failed("summaries", exc)
            else:
                if made:
                    self.deliveries_ready.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick_s):
                    await self.wake.wait()

    def make_due(self) -> int:
        """Make every summary due now, each in its own transaction; how many were made."""
        now = self.clock()
        with self.store.sessions() as session:
            due = pending(session, now)
        made = 0
        for username, home_id, day, send in due:
            try:
                with self.store.transaction() as session:
                    user, home = session.get(User, username), session.get(Home, home_id)
                    if user is None or home is None:
                        continue
                    make_summary(
                        session, user, home, day, now, influx=self.influx(),
                        contact_targets=self.contact_targets, send=send, language=self.language,
                    )  # fmt: skip
                made += 1
            except IntegrityError:  # another hub worker made it first: once is enough
                log.info("summary of %s for %s on %s was already made", home_id, username, day)
        self.made += made
        return made


def public(row: FamilySummary, home: Home) -> dict[str, Any]:
    return {
        "id": row.id,
        "resident": row.home_id,
        "resident_name": home.resident_name,
        "day": row.day,
        "made_at": datetime.fromtimestamp(row.created_at, ZoneInfo(home.timezone)).isoformat(
            timespec="seconds"
        ),
        "text": {"zh": row.text_zh, "en": row.text_en},
        "facts": row.facts,
        "channels": row.channels,
    }
