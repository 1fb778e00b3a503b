"""Falls: one wearable's accelerometer (``FallDetector``) and a home's fall events from every
source (``FallEventDetector``).

* ``grid.py``: a wearable's stream on one analysis grid, with its impact channel;
* ``features.py``: what an impact looks like (the features of a candidate, the gates);
* ``model.py``: the scorer and its fitted weights per placement;
* ``config.py``: windows, gates and model per placement;
* ``upright.py``: her upright, learned from her walking (a trunk lying already);
* ``wearable.py``: the streaming detector of one wearable;
* ``home_falls.py``: wearable detections, fall flags and radars into one ``fall`` event;
* ``clock_jump.py``: a wearable's clock set back, told from a late message.
"""

from .clock_jump import JUMP_CONFIRM_S, BackwardBatches
from .config import PLACEMENTS, FallConfig, FallDetectorError, Placement
from .features import candidate_features, passes_gates
from .home_falls import FallEventDetector, FallSettings
from .model import FEATURE_NAMES, TRUNK_WEIGHTS, WRIST_WEIGHTS, FallWeights, feature_matrix
from .upright import Upright
from .wearable import FallDetection, FallDetector

__all__ = [
    "FEATURE_NAMES",
    "JUMP_CONFIRM_S",
    "PLACEMENTS",
    "TRUNK_WEIGHTS",
    "WRIST_WEIGHTS",
    "BackwardBatches",
    "FallConfig",
    "FallDetection",
    "FallDetector",
    "FallDetectorError",
    "FallEventDetector",
    "FallSettings",
    "FallWeights",
    "Placement",
    "Upright",
    "candidate_features",
    "feature_matrix",
    "passes_gates",
]
