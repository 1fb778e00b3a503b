"""Device kinds as data, and the pure codec from device payloads to canonical readings."""

from .catalog import (
    DeviceDefinition,
    Expose,
    catalog,
    definition,
    definitions_for,
    unknown_models,
)
from .codec import MAX_PAYLOAD_BYTES, ClockLimits, Decoded, decode
from .errors import DeviceError, PayloadError, PayloadProblem

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "ClockLimits",
    "Decoded",
    "DeviceDefinition",
    "DeviceError",
    "Expose",
    "PayloadError",
    "PayloadProblem",
    "catalog",
    "decode",
    "definition",
    "definitions_for",
    "unknown_models",
]
