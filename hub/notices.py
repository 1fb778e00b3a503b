"""An alert's change told to its audiences, as rows in the alert's own transaction: one
pending :class:`Delivery` per channel of each audience (hub.deliveries sends them), or, for
an audience with no channel at all, a ``no_channel`` record in the alert's history (once
per alert and audience), so that nobody reads "notified" where nothing was sent; and the
voice prompt that tells her help is coming, a ``command`` to her home (hub.outbound
publishes it)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import exists, insert, literal, select
from sqlalchemy.orm import Session

from .channels import family_targets
from .escalation import Audience
from .schema import Alert, AlertChange, Delivery, Home, OutgoingMessage
from .schema import Station as StationRow
from .texts import alert_text
from .views import alert_document
from .ward_routing import staff_targets
from .webpush import push_targets

HELP_IS_COMING = {
    "zh": "社区养老服务站已收到您的求助，工作人员正在赶来。",
    "en": "The care station has your call; help is on the way.",
}
# In a care home (her config names a bed) it is the caregivers who come.
HELP_IS_COMING_WARD = {
    "zh": "护理员已收到您的呼叫，马上就到。",
    "en": "The nurses have your call; a caregiver is on the way.",
}

Record = Callable[[Session, Alert, str, str, dict[str, Any]], None]


def queue_notices(
    session: Session,
    home: Home,
    alert: Alert,
    audience: tuple[Audience, ...],
    change: str,
    *,
    language: str,
    contact_targets: Mapping[str, str],
    now: float,
    record: Record,
) -> list[Audience]:
    """Queue the change for each audience's channels; the audiences reached."""
    document = alert_document(alert, home)
    title, body = alert_text(document, change, lang=language)
    reached: list[Audience] = []
    for who in audience:
        targets = targets_of(session, home, who, contact_targets, now)
        if targets:
            reached.append(who)
        else:
            _no_channel(session, alert, who, now)
        for target in targets:
            session.add(
                Delivery(
                    alert_id=alert.id,
                    audience=who,
                    target=target,
                    title=title,
                    body=body,
                    state="pending",
                    attempts=0,
                    next_at=now,
                    created_at=now,
                )
            )
    return reached


def targets_of(
    session: Session,
    home: Home,
    audience: Audience,
    contact_targets: Mapping[str, str],
    now: float | None = None,
) -> list[str]:
    """The channels (apprise URLs) an audience of this home is reached through."""
    if audience in ("caregiver", "head_nurse"):
        return staff_targets(session, home, audience, contact_targets, now or time.time())
    if audience == "station":
        station = session.get(StationRow, home.station_id)
        return list(station.notify) if station is not None else []
    # The contacts' channels, and the browsers of the family's accounts (Web Push).
    return family_targets(home.config, contact_targets) + push_targets(session, home.id)


def _no_channel(session: Session, alert: Alert, audience: Audience, now: float) -> None:
    """``no_channel`` in the alert's history unless it says so already for this audience:
    one ``INSERT ... SELECT ... WHERE NOT EXISTS``, not a read and then an insert."""
    session.flush()  # an earlier record of this transaction counts too, and comes first
    detail = {"audience": audience}
    recorded = select(AlertChange.id).where(
        AlertChange.alert_id == alert.id,
        AlertChange.action == "no_channel",
        AlertChange.detail["audience"].as_string() == audience,
    )
    row = select(
        literal(alert.id, AlertChange.alert_id.type),
        literal(now, AlertChange.at.type),
        literal("hub", AlertChange.actor.type),
        literal("no_channel", AlertChange.action.type),
        literal(detail, AlertChange.detail.type),
    ).where(~exists(recorded))
    columns = ["alert_id", "at", "actor", "action", "detail"]
    session.execute(insert(AlertChange).from_select(columns, row))


def queue_voice_prompt(
    session: Session, home: Home, alert: Alert, *, prefix: str, language: str, now: float
) -> None:
    """Tell her, through the home's speaker, that the station has her call."""
    texts = HELP_IS_COMING_WARD if (home.config or {}).get("place") else HELP_IS_COMING
    command = {
        "action": "voice_prompt",
        "text": texts.get(language, texts["zh"]),
        "alert": alert.id,
        "kind": alert.kind,
    }
    session.add(
        OutgoingMessage(
            topic=f"{prefix}/{home.id}/command",
            payload=json.dumps(command, ensure_ascii=False).encode(),
            retain=False,
            created_at=now,
        )
    )
