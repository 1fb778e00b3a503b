"""The hub at the community station: ingest from every home's edge, the store, the alerts'
life cycle and escalation, notifications, accounts and the live feed.

>>> from hub import Hub, HubSettings, Store
"""

from .accounts import Scope
from .alerts import AlertError, AlertManager, AlertUpdate
from .errors import DeliveryError, HubError
from .escalation import EscalationPolicies, EscalationPolicy
from .feed import AlertFeed, FeedMessage
from .ingest import Ingestor
from .presence import ClientIdInUse
from .service import Hub
from .settings import HubSettings
from .store import Store, StoreError

__all__ = [
    "AlertError",
    "AlertFeed",
    "AlertManager",
    "AlertUpdate",
    "ClientIdInUse",
    "DeliveryError",
    "EscalationPolicies",
    "EscalationPolicy",
    "FeedMessage",
    "Hub",
    "HubError",
    "HubSettings",
    "Ingestor",
    "Scope",
    "Store",
    "StoreError",
]
