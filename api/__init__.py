"""The REST and WebSocket API of the hub, and the pages of dispatchers and families.

>>> from api import create_app
"""

from .app import create_app

__all__ = ["create_app"]
