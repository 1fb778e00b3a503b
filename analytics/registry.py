"""The detectors a home runs by default, in the order they see each reading."""

from __future__ import annotations

from .activity import ACTIVITY_DETECTORS
from .detector import Detector
from .device_health import DeviceHealthDetector
from .falls import FallEventDetector
from .institution import INSTITUTION_DETECTORS, CallDetector
from .sos import SosDetector
from .vitals import HeartRateDetector, Spo2Detector

# Each runs where it applies (Detector.applies_to: the institutional ones at a care home's
# bed, not_returned_home only at home).
# The fall detector first: during its confirmation window it claims the wearable's button.
DETECTORS: tuple[type[Detector], ...] = (
    FallEventDetector,
    SosDetector,
    CallDetector,
    HeartRateDetector,
    Spo2Detector,
    *ACTIVITY_DETECTORS,
    *INSTITUTION_DETECTORS,
    DeviceHealthDetector,
)
