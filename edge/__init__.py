"""The edge agent of a home (local broker -> decode -> detect -> durable outbox -> uplink),
and hosted edges: many homes in one process.

>>> from edge import EdgeAgent, HostedEdges
"""

from .agent import EdgeAgent, HomePipeline
from .hosted import HostedEdges
from .outbox import Outbox, OutboxError

__all__ = ["EdgeAgent", "HomePipeline", "HostedEdges", "Outbox", "OutboxError"]
