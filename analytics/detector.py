"""The shape every detector has: feed readings, let time pass, save and restore state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from contracts.home import HomeConfig
from contracts.reading import Reading

from .context import HomeContext
from .events import Event


class Detector:
    """A pure, synchronous detector for one home.

    ``feed`` sees every reading in (near) event-time order; ``advance`` tells it that event
    time has reached ``now`` even if nothing it cares about arrived, which is how silence
    ("no activity for 3 hours") becomes an event. An event decided in ``advance`` carries
    the time its condition was met, not the time somebody noticed. Neither method does
    I/O or reads a clock.
    """

    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]

    def __init__(self, home: HomeContext):
        self.home = home

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        """Whether this detector runs for a home of this config at all (a care home's bed
        has no outings to come back from; a home in the community has no bed exits)."""
        return True

    def claims(self, reading: Reading) -> bool:
        """True when this reading means something else right now and no other detector
        should see it (a button press that cancels a fall alarm is not an SOS)."""
        return False

    def feed(self, reading: Reading) -> list[Event]:
        return []

    def advance(self, now: float) -> list[Event]:
        return []

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what state_dict returned; a detector resumes where it was."""

    def time_zone_changed(self) -> None:
        """The state just restored was kept under another time zone: forget what was
        learned by local clock hour, which would be read at other hours now."""
