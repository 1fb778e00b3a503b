"""Hosted edges: many homes in one process, one MQTT connection each way (ARCHITECTURE.md).

Homes whose devices talk straight to the hub (4G bracelets) have no edge box of their own;
the hub deployment runs their edges. :class:`HostedEdges` is the
:class:`edge.runtime.EdgeRuntime` of many homes: the same per-home pipeline, sessions,
drain, commands, configs and periodic tasks as the single home's
:class:`edge.agent.EdgeAgent`, set up for sharing:

* Each home's files are in a folder of its own, ``<data_dir>/<home>/`` (``config.json``,
  ``detectors.json``); its edge id is its home id, so the hub's ``(edge, seq)`` dedup is
  unchanged. The homes' outboxes share one file, ``<data_dir>/outboxes.sqlite`` (one
  connection, 3 file descriptors however many homes; each row keyed by its edge, so seqs,
  bounds and drops are per home): 10,000 homes with a file each would need 30,000. A
  home's own ``outbox.sqlite`` left by an earlier version is moved into it at start
  (:mod:`edge.adopt`). The outboxes are drained round-robin, at most ``per_home_turn``
  items of one home per window while others wait, so one home's telemetry backlog cannot
  delay another home's fall.
* Local: two wildcard subscriptions (``<prefix>/+/dev/+/up`` and the Zigbee2MQTT base with
  ``{home}`` as ``+``, ``zigbee2mqtt/{home}`` by default); each message is routed by the
  home id in its topic (:class:`TopicRouter`). Uplink: one subscription per hub channel
  (``<prefix>/+/config``, ``<prefix>/+/command``) for all homes, not one per home. What
  names a home not hosted here is counted in the process status (``unknown_home``,
  ``ignored_configs``, ``ignored_commands``), never fatal.
* Status and the will. MQTT allows one will per connection, so the per-home
  ``<prefix>/<home>/status`` cannot each carry one. On connect each home's status is
  published retained with ``"state": "online"`` and ``"hosted": <process id>``; the
  connection's will is a process-level retained ``offline`` on
  ``<prefix>/hosted/<process id>/status`` whose document lists the homes (past what a
  will can carry, about 5,000 homes, their count instead). **The hub maps a
  hosted process status onto its homes**: when it goes ``offline`` (will or clean stop)
  every home listed is offline, whatever its own retained status still says. A clean stop
  also publishes ``offline`` on every home's status.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from contracts.home import HomeConfig
from contracts.topics import (
    HOSTED_LEVEL,
    HUB_CHANNELS,
    channel_subscription,
    everything_below,
    hosted_status,
    native_device_up,
)

from .adopt import Adopted, adopt_outboxes
from .homes import open_homes
from .outbox import Outbox, OutboxFile
from .runtime import EdgeRuntime, Publish
from .settings import EdgeSettings

OUTBOX_FILE = "outboxes.sqlite"  # in data_dir: every home's outbox
HOME_OUTBOX_FILE = "outbox.sqlite"  # in a home's folder: its own outbox, before version 3
MAX_WILL_BYTES = 60_000  # under MQTT's 65,535 for a will payload, with room for the rest


def default_process_id() -> str:
    # Stable across restarts (a persistent identity and one retained status topic per host).
    return socket.gethostname()


class TopicRouter:
    """Which home a local topic belongs to, from the topic alone (no pipeline needed)."""

    def __init__(self, prefix: str, zigbee_base: str):
        zigbee_levels = zigbee_base.split("/")
        if zigbee_levels.count("{home}") != 1 or "{home}" in zigbee_base.replace("{home}", "", 1):
            raise ValueError(
                f"zigbee_base must hold {{home}} as one whole topic level, got {zigbee_base!r}"
            )
        if any(c in prefix for c in "+#") or any(c in zigbee_base for c in "+#"):
            raise ValueError("prefix and zigbee_base must not contain MQTT wildcards")
        self._prefix = prefix.split("/")
        self._zigbee = zigbee_levels
        self._home_level = zigbee_levels.index("{home}")
        every_home = zigbee_base.replace("{home}", "+")
        self.subscriptions: tuple[str, ...] = (
            native_device_up(prefix, "+", "+"),
            everything_below(every_home),
        )

    def home_of(self, topic: str) -> str | None:
        """The home id in ``topic``, or None if the topic has neither known shape."""
        levels = topic.split("/")
        p = len(self._prefix)
        if (
            len(levels) == p + 4
            and levels[:p] == self._prefix
            and levels[p + 1] == "dev"
            and levels[p + 3] == "up"
        ):
            return levels[p] or None
        z = self._zigbee
        if len(levels) >= len(z) and all(
            levels[i] == z[i] for i in range(len(z)) if i != self._home_level
        ):
            return levels[self._home_level] or None
        return None


class HostedEdges(EdgeRuntime):
    """Many homes' edges in one process: one local and one uplink MQTT connection."""

    def __init__(self, configs: Iterable[HomeConfig], settings: EdgeSettings):
        """Each home's files in ``<data_dir>/<home>/``; its detectors resume from there. The
        outboxes in ``<data_dir>/outboxes.sqlite``, with any home's own old file moved in."""
        configs = _hostable(configs)
        zigbee_base = settings.zigbee_base_for(hosted=True)
        self.router = TopicRouter(settings.prefix, zigbee_base)
        self.process_id = settings.process_id or default_process_id()
        self.status_topic = hosted_status(settings.prefix, self.process_id)
        data = settings.data_dir
        self.outbox_file = OutboxFile(data / OUTBOX_FILE)
        try:
            old = {c.home: data / c.home / HOME_OUTBOX_FILE for c in configs}
            self.adopted: list[Adopted] = adopt_outboxes(self.outbox_file, old)
            with self.outbox_file.synced_once():  # a new home's first write: one fsync in all
                pipelines, restored = open_homes(
                    configs,
                    settings,
                    folder_of=lambda home: data / home,
                    outbox_of=lambda edge, _: Outbox(
                        self.outbox_file, edge, max_items=settings.outbox_max_items
                    ),
                    zigbee_base=zigbee_base,
                )
        except BaseException:
            self.outbox_file.close()
            raise
        super().__init__(
            pipelines,
            restored,
            settings,
            who=f"hosted {self.process_id}",
            client_id=f"eldercare-hosted-{self.process_id}",
            local_subscriptions=list(self.router.subscriptions),
            # One subscription per channel for all homes, not one per home.
            uplink_subscriptions=[channel_subscription(settings.prefix, c) for c in HUB_CHANNELS],
        )

    def home_of(self, topic: str) -> str | None:
        return self.router.home_of(topic)

    def will(self) -> tuple[str, str]:
        offline = self.process_status("offline")
        offline.pop("ts")
        payload = json.dumps(offline, ensure_ascii=False, separators=(",", ":"))
        if len(payload.encode()) > MAX_WILL_BYTES:
            # MQTT carries a will in the CONNECT packet with a 2-byte length: past about
            # 5,000 homes their list does not fit. The hub moves the homes whose own status
            # named this process, not the ones listed, so the count says enough.
            offline["homes_count"] = len(offline.pop("homes"))
            payload = json.dumps(offline, ensure_ascii=False, separators=(",", ":"))
        return self.status_topic, payload

    def process_status(self, state: str) -> dict[str, Any]:
        return {
            "state": state,
            "hosted": self.process_id,
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "homes": self.homes,
            "local_connected": self.local_connected.is_set(),
            "unknown_home": self.unknown_home,
            "unknown_ids": dict(self.unknown_ids),
            "unrouted": self.unrouted,
            "ignored_configs": self.ignored_configs,
            "ignored_commands": self.ignored_commands,
        }

    def process_statuses(self, state: str) -> list[Publish]:
        return [(self.status_topic, self.process_status(state))]

    def home_status(self, home: str, state: str) -> dict[str, Any]:
        return {**super().home_status(home, state), "hosted": self.process_id}


def _hostable(configs: Iterable[HomeConfig]) -> list[HomeConfig]:
    """The configs, if their homes can be hosted together; ValueError saying why not."""
    configs = list(configs)
    if not configs:
        raise ValueError("hosted edges need at least one home")
    homes = [c.home for c in configs]
    if len(set(homes)) != len(homes):
        duplicates = sorted(h for h, n in Counter(homes).items() if n > 1)
        raise ValueError(f"homes given twice: {duplicates}")
    bad = [h for h in homes if h == HOSTED_LEVEL or any(c in h for c in "/+#")]
    if bad:
        raise ValueError(f"home ids unusable as a topic level: {bad}")
    return configs
