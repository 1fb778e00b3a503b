"""The REST and WebSocket API and the pages of dispatchers and families (issues 4, 6)."""
