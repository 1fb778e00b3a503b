"""The edge agent of one home: local broker -> decode -> detect -> durable outbox -> uplink.

:class:`EdgeAgent` is the :class:`edge.runtime.EdgeRuntime` of one home (the sessions, the
drain, commands, configs and periodic tasks are the runtime's), set up as a home's own edge
box: its files straight in the data folder (``outbox.db``, ``config.json``,
``detectors.json``), the home's own topics (its Zigbee2MQTT base, ``zigbee2mqtt`` by
default, and its native devices), client ids ``eldercare-edge-<home>[-local]`` and the will
on the home's own status topic: a retained ``{"state": "offline", "home", "edge"}``.
"""

from __future__ import annotations

import json

from contracts.home import HomeConfig
from contracts.topics import everything_below

from .homes import open_homes
from .outbox import Outbox
from .pipeline import HomePipeline
from .runtime import EdgeRuntime
from .settings import EdgeSettings

OUTBOX_FILE = "outbox.db"


class EdgeAgent(EdgeRuntime):
    """One home's edge: its local broker, its uplink broker and a durable outbox between."""

    def __init__(self, config: HomeConfig, settings: EdgeSettings):
        home = config.home
        pipelines, restored = open_homes(
            [config],
            settings,
            folder_of=lambda _: settings.data_dir,
            outbox_of=lambda edge, folder: Outbox(
                folder / OUTBOX_FILE, edge, max_items=settings.outbox_max_items
            ),
            zigbee_base=settings.zigbee_base_for(hosted=False),
        )
        self.pipeline: HomePipeline = pipelines[home]
        topics = self.pipeline.topics
        zigbee_devices = everything_below(self.pipeline.zigbee_base)
        super().__init__(
            pipelines,
            restored,
            settings,
            who=f"home {home}",
            client_id=f"eldercare-edge-{home}",
            local_subscriptions=[zigbee_devices, topics.native_devices],
            uplink_subscriptions=[topics.config, topics.command],
        )

    @property
    def config(self) -> HomeConfig:
        return self.pipeline.config

    @property
    def outbox(self) -> Outbox:
        return self.pipeline.outbox

    def home_of(self, topic: str) -> str:
        return self.pipeline.home  # the local subscriptions are all this home's

    def will(self) -> tuple[str, str]:
        home = self.pipeline.home
        offline = {"state": "offline", "home": home, "edge": self.outbox.edge}
        return self.pipeline.topics.status, json.dumps(offline)
