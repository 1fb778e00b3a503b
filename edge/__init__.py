"""The edge agent of a home (local broker -> decode -> detect -> durable outbox -> uplink),
and hosted edges: many homes in one process.

>>> from edge import EdgeAgent, HostedEdges
"""

from .agent import EdgeAgent
from .hosted import HostedEdges
from .outbox import Outbox, OutboxError
from .pipeline import HomePipeline

__all__ = ["EdgeAgent", "HomePipeline", "HostedEdges", "Outbox", "OutboxError"]
