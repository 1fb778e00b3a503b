"""The hub at the community station: ingest from homes, store, alert life cycle,
escalation and notifiers (issue 4)."""
