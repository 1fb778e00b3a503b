"""What a commit changed, told to the pages that are open.

Ingest, the API and the escalation timers all change alerts and homes; the open consoles and
family apps learn of it only through here, after the commit, so a page never shows what the
store does not hold. With several workers, each one's WebSockets serve only some of the users:
what one worker changed goes to the others too (:mod:`hub.feed_relay`).
"""

from __future__ import annotations

import time

from .alerts import AlertUpdate
from .feed import AlertFeed, FeedMessage
from .feed_relay import FeedRelay
from .ingest_counts import HomeChange


class FeedPublisher:
    def __init__(self, feed: AlertFeed, relay: FeedRelay | None):
        self.feed = feed
        self.relay = relay

    def publish(self, alerts: list[AlertUpdate], homes: list[HomeChange]) -> None:
        messages = feed_messages(alerts, homes, time.time())
        for message in messages:
            self.feed.publish(message)
        if self.relay is not None:
            self.relay.send(messages)


def feed_messages(
    alerts: list[AlertUpdate], homes: list[HomeChange], now: float
) -> list[FeedMessage]:
    messages = []
    for update in alerts:
        messages.append(
            FeedMessage(
                type="alert",
                station=update.station,
                resident=update.resident,
                payload={"change": update.change, "actor": update.actor, "alert": update.alert},
                at=now,
            )
        )
    for change in homes:
        messages.append(
            FeedMessage(
                type="home",
                station=change.station,
                resident=change.home,
                payload={"home": change.home, "state": change.state},
                at=now,
            )
        )
    return messages
