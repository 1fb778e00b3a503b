"""Institutional care: the alerts of a bed in a care home (``HomeConfig.place`` set).

- ``bed_exit``: out of bed at night, for a resident at risk of falling (after a short
  grace) or at high risk (at once);
- ``not_back_in_bed``: out of bed at night for long, for anyone with a bed sensor;
- ``left_unit_at_night``: the unit door opened at night while a resident who wanders is
  out of bed;
- ``call``: the bed's call button (a nurse call, not an SOS).

All read the bed sensor through analytics.institution.bed, which says "unknown" rather
than guess when a sensor drops out. Falls, vitals (a bed sensor's heart rate goes through
analytics.vitals like a bracelet's) and device health are the home detectors.
"""

from ..detector import Detector
from .bed import BedSensorSettings, BedState, BedTrack
from .bed_exit import BedExitDetector, BedExitSettings, NotBackInBedDetector, NotBackInBedSettings
from .call import CallDetector
from .left_unit import LeftUnitDetector, LeftUnitSettings

INSTITUTION_DETECTORS: tuple[type[Detector], ...] = (
    BedExitDetector,
    NotBackInBedDetector,
    LeftUnitDetector,
)

__all__ = [
    "INSTITUTION_DETECTORS",
    "BedExitDetector",
    "BedExitSettings",
    "BedSensorSettings",
    "BedState",
    "BedTrack",
    "CallDetector",
    "LeftUnitDetector",
    "LeftUnitSettings",
    "NotBackInBedDetector",
    "NotBackInBedSettings",
]
