"""How an edge process runs, one home or many: one frozen settings object.

``eldercare edge`` builds it from the command line (eldercare/edge_command.py); the demo and
the hosted bench build their own. The defaults are the production ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from contracts.topics import DEFAULT_PREFIX, SHARED_ZIGBEE2MQTT_BASE, ZIGBEE2MQTT_BASE
from devices.codec import ClockLimits
from transport.credentials import broker_url
from transport.reconnect import BrokerUrl

DEFAULT_CLOCK = ClockLimits()
# A home's own Zigbee2MQTT has its own broker and the default base; homes hosted together
# share one broker, so each has a base of its own.
HOSTED_ZIGBEE_BASE = SHARED_ZIGBEE2MQTT_BASE


@dataclass(frozen=True)
class EdgeSettings:
    """Brokers, folders, topics and timings of an edge process (every duration in seconds).

    ``now`` is the clock messages are received and timers run by: the wall clock, or a
    simulated one when the devices' time runs accelerated (``eldercare demo``).
    """

    local: str  # the broker the devices publish to, mqtt://host:port
    uplink: str  # the hub's broker
    data_dir: Path  # outboxes, last good configs, detectors' states
    prefix: str = DEFAULT_PREFIX
    # None: "zigbee2mqtt" for one home, HOSTED_ZIGBEE_BASE for hosted homes.
    zigbee_base: str | None = None
    process_id: str | None = None  # hosted: the process's name on the uplink (host name)
    clock: ClockLimits = DEFAULT_CLOCK  # device clocks: how far from ``now`` they may be
    now: Callable[[], float] = field(default=time.time, compare=False)
    telemetry_every_s: float = 60  # staged readings sealed into telemetry messages
    stage_every_s: float = 1  # readings reach the disk at most this long after they arrived
    heartbeat_every_s: float = 60  # statuses republished
    tick_every_s: float = 5  # timers advanced (silence becomes events)
    save_every_s: float = 60  # changed detectors' states written
    reconnect_first_s: float = 0.5  # reconnect backoff, doubling up to reconnect_max_s
    reconnect_max_s: float = 30
    drain_window: int = 100  # outbox items published before their acks are awaited
    per_home_turn: int = 20  # items of one home in a drain window while others wait
    max_queued_commands: int = 100  # per home, while the local broker is away
    outbox_max_items: int = 100_000  # per home; beyond it the oldest telemetry goes

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for url in (self.local, self.uplink):  # a bad URL is refused here, not at connect
            BrokerUrl.parse(url)
        if not self.prefix or any(c in self.prefix for c in "+#"):
            raise ValueError(f"prefix {self.prefix!r}: must be a topic without wildcards")
        intervals = {
            "telemetry_every_s": self.telemetry_every_s,
            "stage_every_s": self.stage_every_s,
            "heartbeat_every_s": self.heartbeat_every_s,
            "tick_every_s": self.tick_every_s,
            "save_every_s": self.save_every_s,
            "reconnect_first_s": self.reconnect_first_s,
        }
        for name, seconds in intervals.items():
            if not seconds > 0:
                raise ValueError(f"{name} must be positive, got {seconds}")
        if self.reconnect_max_s < self.reconnect_first_s:
            raise ValueError("reconnect_max_s must be at least reconnect_first_s")
        counts = {
            "drain_window": self.drain_window,
            "per_home_turn": self.per_home_turn,
            "max_queued_commands": self.max_queued_commands,
            "outbox_max_items": self.outbox_max_items,
        }
        for name, count in counts.items():
            if count < 1:
                raise ValueError(f"{name} must be >= 1, got {count}")

    @property
    def local_url(self) -> BrokerUrl:
        """The home's broker, with ELDERCARE_LOCAL_MQTT_* credentials if any."""
        return broker_url(self.local, local=True)

    @property
    def uplink_url(self) -> BrokerUrl:
        """The hub's broker, with this edge's credentials (ELDERCARE_MQTT_*)."""
        return broker_url(self.uplink)

    @property
    def stage_interval_s(self) -> float:
        """Staging never waits longer than sealing would."""
        return min(self.stage_every_s, self.telemetry_every_s)

    def zigbee_base_for(self, *, hosted: bool) -> str:
        if self.zigbee_base is not None:
            return self.zigbee_base
        return HOSTED_ZIGBEE_BASE if hosted else ZIGBEE2MQTT_BASE
