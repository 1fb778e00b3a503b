"""Saving the detectors' state of one home or many: only the homes whose detectors may have
changed since their last save are written (a save costs ~2 ms: state, JSON, two fsyncs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from contracts.home import HomeConfig

from .homes import DETECTORS_FILE
from .pipeline import HomePipeline

log = logging.getLogger("edge.runtime")

SAVE_YIELD_EVERY = 4  # detector states written before the loop gets a turn

Changes = tuple[int, int, HomeConfig]


class DetectorSaves:
    """Which homes' detectors changed since they were last saved (or restored), and saving
    them into ``<home folder>/detectors.json``."""

    def __init__(self, pipelines: Mapping[str, HomePipeline], restored: Iterable[str]):
        self.pipelines = pipelines
        self.written = 0  # detectors.json files written
        # home -> what its detectors had seen when last saved (or restored)
        self._saved_at: dict[str, Changes] = {
            home: self.changes(pipelines[home]) for home in restored
        }

    async def save_changed(self) -> None:
        """Write the detector state of every home changed since its last save."""
        tried = 0
        for pipeline in list(self.pipelines.values()):
            if self.save(pipeline) is not None:
                tried += 1  # written or failed (a full disk fails every home, slowly too)
                if tried % SAVE_YIELD_EVERY == 0:  # state, JSON and two fsyncs each
                    await asyncio.sleep(0)

    def save(self, pipeline: HomePipeline) -> bool | None:
        """Save one home's detectors if they may have changed: True if written, False if
        that failed (tried again next time), None if unchanged since the last save.

        Never raises: one home's detector bug must not stop the others' saves (or the stop).
        """
        home = pipeline.home
        changes = self.changes(pipeline)
        if self._saved_at.get(home) == changes:
            return None
        try:
            saved = pipeline.save_detectors(pipeline.data_dir / DETECTORS_FILE)
        except Exception:  # e.g. a detector's state_dict failing; save_detectors logs I/O
            log.exception("home %s: cannot save the detectors' state", home)
            saved = False
        if saved:
            self._saved_at[home] = changes
            self.written += 1
        else:  # tried again next time
            self._saved_at.pop(home, None)
        return saved

    @staticmethod
    def changes(pipeline: HomePipeline) -> Changes:
        """What moved the home's detectors so far: an equal tuple means nothing to save.

        Readings fed and events stored (a tick's events included) are counted by the
        pipeline; an applied config is a new ``pipeline.config`` (the detectors' state may
        gain its devices). The config itself, not its id, is kept: the same object compares
        at once, another one by value. A tick without events changes only timer bookkeeping.
        """
        counts = pipeline.counts
        return (counts.readings, counts.events, pipeline.config)
