"""Simulated homes: residents with daily routines (messy as real homes', simulators/life.py,
or tidy for the demo), scripted incidents and failing sensors with ground truth, and the
device traffic (real payload shapes, message faults) they produce."""

from .errors import EncodeError, SimulatorError
from .faults import FaultRecord, inject_faults
from .homes import make_home_configs
from .incidents import (
    EXPECTED_ALERT,
    INCIDENT_KINDS,
    LIFE_FAULT_KINDS,
    GroundTruth,
    IncidentPlan,
    default_incidents,
)
from .payloads import DeviceMessage, encode, encode_stream
from .simulation import Simulation, simulate_home

__all__ = [
    "EXPECTED_ALERT",
    "INCIDENT_KINDS",
    "LIFE_FAULT_KINDS",
    "DeviceMessage",
    "EncodeError",
    "FaultRecord",
    "GroundTruth",
    "IncidentPlan",
    "Simulation",
    "SimulatorError",
    "default_incidents",
    "encode",
    "encode_stream",
    "inject_faults",
    "make_home_configs",
    "simulate_home",
]
