"""The edge's last good home config: ``<data_dir>/config.json``, written atomically."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from contracts.errors import HomeConfigError
from contracts.home import HomeConfig

log = logging.getLogger("edge.config")
FILE_NAME = "config.json"


def last_good_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def load_preferred(given: HomeConfig, data_dir: Path) -> HomeConfig:
    """The last good config pushed by the hub if there is a usable one, else ``given``.

    A saved config that cannot be read, does not parse or is for another home is ignored
    with a warning: the edge must start with *some* config rather than not at all.
    """
    path = last_good_path(data_dir)
    if not path.exists():
        return given
    try:
        saved = HomeConfig.load(path)
    except HomeConfigError as exc:
        log.warning("ignoring the saved config: %s", exc)
        return given
    if saved.home != given.home:
        log.warning(
            "ignoring the saved config %s: it is for home %s, not %s", path, saved.home, given.home
        )
        return given
    return saved


def save_last_good(config: HomeConfig, data_dir: Path) -> None:
    """Write atomically (temp file, fsync, rename): a power cut leaves the old or the new."""
    path = last_good_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(config.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
