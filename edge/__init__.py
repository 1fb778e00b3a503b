"""The edge agent of a home: local broker -> decode -> detect -> durable outbox -> uplink
(issue 5)."""
