"""Saving and restoring a part of the whereabouts model as plain JSON-able values."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar


class Stateful:
    """A part whose state is the attributes named in ``FIELDS`` (JSON-able values)."""

    FIELDS: ClassVar[tuple[str, ...]] = ()
    # Fields added since states were first saved, with the value an older state means.
    ADDED: ClassVar[Mapping[str, Any]] = {}

    def state_dict(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in self.FIELDS}

    def load_state(self, state: Mapping[str, Any]) -> None:
        state = {**self.ADDED, **state}
        for name in self.FIELDS:
            setattr(self, name, copy.deepcopy(state[name]))
