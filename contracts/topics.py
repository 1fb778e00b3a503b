"""The MQTT topics of ARCHITECTURE.md, in one place.

Every topic the edge, the hub and the simulator publish or subscribe to is built here, so
the prefix (``eldercare/v1`` by default) and the level names cannot drift apart.

>>> topics = HomeTopics("eldercare/v1", "h001")
>>> topics.event, topics.local_command
('eldercare/v1/h001/event', 'eldercare/v1/h001/local/command')
>>> native_device_up("eldercare/v1", "h001", "band")
'eldercare/v1/h001/dev/band/up'
>>> hub_subscriptions("eldercare/v1")[-1]
'eldercare/v1/hosted/+/status'
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "eldercare/v1"
ZIGBEE2MQTT_BASE = "zigbee2mqtt"
# Where homes share one broker (hosted edges, simulated homes), each home's Zigbee2MQTT has
# a base topic of its own (its base_topic setting); "{home}" stands for the home's id.
SHARED_ZIGBEE2MQTT_BASE = f"{ZIGBEE2MQTT_BASE}/{{home}}"
# <prefix>/hosted/<process id>/status: the will of a process hosting many homes. No home
# may be called so.
HOSTED_LEVEL = "hosted"
# <prefix>/hub/<client id>/presence and .../probe: which hub process holds a client id.
HUB_LEVEL = "hub"
# Level names that are not homes.
RESERVED_HOME_IDS = frozenset({HOSTED_LEVEL, HUB_LEVEL})
# What edges send the hub, per home: <prefix>/<home>/<channel>.
EDGE_CHANNELS = ("event", "telemetry", "status")
# What the hub sends a home: <prefix>/<home>/<channel>.
HUB_CHANNELS = ("config", "command")


@dataclass(frozen=True)
class HomeTopics:
    """The topics of one home."""

    prefix: str
    home: str

    @property
    def event(self) -> str:
        return f"{self.prefix}/{self.home}/event"

    @property
    def telemetry(self) -> str:
        return f"{self.prefix}/{self.home}/telemetry"

    @property
    def status(self) -> str:
        return f"{self.prefix}/{self.home}/status"

    @property
    def config(self) -> str:
        return f"{self.prefix}/{self.home}/config"

    @property
    def command(self) -> str:
        return f"{self.prefix}/{self.home}/command"

    @property
    def local_command(self) -> str:
        """Hub commands and local alarms, passed on to the home's own broker."""
        return f"{self.prefix}/{self.home}/local/command"

    @property
    def native_devices(self) -> str:
        """Every native device of the home (subscription)."""
        return f"{self.prefix}/{self.home}/dev/+/up"


def native_device_up(prefix: str, home: str, device: str) -> str:
    return f"{prefix}/{home}/dev/{device}/up"


def hosted_status(prefix: str, process_id: str) -> str:
    return f"{prefix}/{HOSTED_LEVEL}/{process_id}/status"


def hub_presence(prefix: str, client_id: str) -> str:
    """Retained: the hub process that holds ``client_id`` (and its will: offline)."""
    return f"{prefix}/{HUB_LEVEL}/{client_id}/presence"


def hub_probe(prefix: str, client_id: str) -> str:
    """A hub about to start asks whether someone still holds ``client_id``."""
    return f"{prefix}/{HUB_LEVEL}/{client_id}/probe"


def hub_subscriptions(prefix: str) -> list[str]:
    """What the hub subscribes to: every home's edge channels, and hosted processes' wills."""
    return [f"{prefix}/+/{channel}" for channel in EDGE_CHANNELS] + [hosted_status(prefix, "+")]


def everything_below(topic: str) -> str:
    """A subscription to every topic below ``topic`` (e.g. a Zigbee2MQTT base's devices)."""
    return f"{topic}/#"


def channel_subscription(prefix: str, channel: str) -> str:
    """Every home's ``channel`` (e.g. hosted edges take every home's ``config``)."""
    return f"{prefix}/+/{channel}"
