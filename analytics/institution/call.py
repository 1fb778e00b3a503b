"""``call``: the call button at a bed in an institution is a call for the caregiver.

At home a press of the bedside button is an SOS (critical, to the station); at a care
home's bed it is the resident calling the nurse, as a nurse-call system would: ``call``,
major, with the same life cycle as an SOS (repeated presses update it, quiet clears it).
Other SOS buttons of the config (a pendant) stay SOS.
"""

from __future__ import annotations

from contracts.home import HomeConfig

from ..sos import SosDetector, is_bed_call_button


class CallDetector(SosDetector):
    """``call`` from the bedside ``sos_button`` of a config with a ``place``."""

    name = "call"
    kinds = ("call",)
    severity = "major"

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        return config.place is not None

    def handles(self, device: str) -> bool:
        return is_bed_call_button(self.home, device)
