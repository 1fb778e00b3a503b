"""The edge: local broker -> decode -> detect -> durable outbox -> uplink, for one home
(:class:`EdgeAgent`) or many in one process (:class:`HostedEdges`), both over one runtime
(:mod:`edge.runtime`) with one settings object (:class:`EdgeSettings`).

>>> from edge import EdgeAgent, EdgeSettings, HostedEdges
"""

from .agent import EdgeAgent
from .hosted import HostedEdges
from .outbox import Outbox, OutboxError
from .pipeline import HomePipeline
from .settings import EdgeSettings

__all__ = ["EdgeAgent", "EdgeSettings", "HomePipeline", "HostedEdges", "Outbox", "OutboxError"]
