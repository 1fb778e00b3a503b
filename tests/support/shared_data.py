"""The development recordings of ../shared/data, read in place (never copied: licences).

They are beside the checkout, beside the folder of worktrees it sits in, or where
ELDERCARE_SHARED_DATA says. A test that needs them and finds them nowhere skips, saying
where it looked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_CHECKOUT = Path(__file__).resolve().parents[2]


def _places() -> list[Path]:
    named = os.environ.get("ELDERCARE_SHARED_DATA")
    beside = [parent / "shared" / "data" for parent in _CHECKOUT.parents[:2]]
    return [Path(named), *beside] if named else beside


def shared_data(name: str) -> Path:
    """The folder ``name`` of ../shared/data (e.g. "sisfall", "realhomes/kasteren-b");
    the test skips where it is nowhere."""
    for place in _places():
        if (place / name).is_dir():
            return place / name
    looked = ", ".join(str(place) for place in _places())
    pytest.skip(f"{name} is not available: not in {looked} (see shared/data/README.md)")
