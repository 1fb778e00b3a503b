"""The alert vocabulary of ARCHITECTURE.md: severities, event states, case outcomes.

Detectors (analytics), the edge, the hub's alert manager and the API all speak it.

>>> max(["minor", "critical", "major"], key=SEVERITY_RANK.__getitem__)
'critical'
"""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["critical", "major", "minor", "warning"]
SEVERITY_RANK: dict[str, int] = {"warning": 0, "minor": 1, "major": 2, "critical": 3}

# What a detector says about a condition: it began, it changed (evidence, severity), it ended.
EventState = Literal["raised", "updated", "cleared"]

# How a dispatcher closes a case. "visited" (and "no_answer_visited") also record a visit
# of the resident (hub/visits.py).
Outcome = Literal["handled", "false_alarm", "hospital", "no_answer_visited", "visited", "other"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
