"""Opening the homes of an edge process: each home's folder, last good config, outbox and
detectors' state, as one :class:`HomePipeline` per home."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from contracts.home import HomeConfig

from .config_store import load_preferred
from .outbox import Outbox
from .pipeline import HomePipeline
from .settings import EdgeSettings

log = logging.getLogger("edge.runtime")

DETECTORS_FILE = "detectors.json"  # the detectors' state, so a restart resumes open conditions


def open_homes(
    configs: list[HomeConfig],
    settings: EdgeSettings,
    *,
    folder_of: Callable[[str], Path],
    outbox_of: Callable[[str, Path], Outbox],
    zigbee_base: str,
) -> tuple[dict[str, HomePipeline], list[str]]:
    """Each home's pipeline on its own folder (``folder_of(home)``: the last good config, the
    detectors' state) and its outbox (``outbox_of(home, folder)``: a file of its own, or its
    edge's part of a shared file), and the homes whose detectors resumed from a saved state.
    A home that fails closes the outboxes opened before it."""
    pipelines: dict[str, HomePipeline] = {}
    restored: list[str] = []
    try:
        for config in configs:
            folder = folder_of(config.home)
            folder.mkdir(parents=True, exist_ok=True)  # an OSError names it (edge_command)
            config = load_preferred(config, folder)
            outbox = outbox_of(config.home, folder)
            pipeline = pipelines[config.home] = HomePipeline(
                config,
                outbox,
                data_dir=folder,
                prefix=settings.prefix,
                zigbee_base=zigbee_base,
                clock=settings.clock,
            )
            if pipeline.restore_detectors(folder / DETECTORS_FILE):
                restored.append(config.home)
    except BaseException:
        for pipeline in pipelines.values():
            pipeline.outbox.close()
        raise
    return pipelines, restored
