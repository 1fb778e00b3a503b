"""`eldercare bench`: the hub's ingest rate and alert latency, side by side with the raw broker.

For each home count N (default 100, 1,000 and 10,000), in one run against one Mosquitto:

* **Ingest.** ``--messages`` telemetry messages as edges send them (``<prefix>/<home>/
  telemetry``, ten canonical readings each, homes taking turns) are encoded once and
  published as a backlog while two persistent sessions (clean session off, QoS 1) are
  offline: a plain paho subscriber (**raw**) and the real :class:`hub.service.Hub`
  (**hub**, SQLite store in a temp dir, the N homes registered beforehand). Each then
  connects and the time to drain the whole backlog is measured: raw until its last message
  arrives, hub until its ingestor has stored every reading. Draining a queued backlog
  measures the *consumer*, whatever the publisher's speed.
* **Alert latency.** The hub and its API served by uvicorn in this process; a child process
  (so its work does not share this interpreter's GIL) publishes background telemetry at
  the rate N homes really send it (one message per home every 10 s) and ``--events`` fall
  and SOS events spread over time, while listening on the API's ``/ws``. Latency is the
  WebSocket frame's arrival minus the event's publish, both on the child's clock.
* **Alert latency under a log-in flood.** The same again (``--login-clients``, default 12;
  0 skips it) while that many clients, in a process of their own, log in as fast as the
  hub answers: each log-in is an argon2 check, CPU by design, which must not delay alerts.

Prints the machine, a table, the goals with PASS/MISS, and one JSON document (stdout, or
the ``--json`` file). Exit status 1 means data was lost (a queued message or a reading
not stored), not that a goal was missed: the goals are measurements, not checks. An alert
that has not reached the WebSocket 30 s after the last event is reported late, and counts
as infinitely late in the percentiles.

Modules, one concept each:

* ``command.py``: the command's arguments and the run over every home count;
* ``sizes.py``: how much a run does (full or ``--quick``), how long it waits;
* ``traffic.py``: telemetry and event documents as edges send them, the backlog, the
  station and homes registered beforehand;
* ``broker.py``: the private Mosquitto that queues without limit;
* ``raw_subscriber.py``: plain paho, the raw subscriber and the backlog's publisher;
* ``hub_under_test.py``: the real hub, offline with a queued backlog, draining it, or
  served with its API by uvicorn;
* ``ingest.py``: the ingest phase;
* ``latency.py``: the alert-latency phase;
* ``load.py``: its load process (telemetry, events, the ``/ws`` listener);
* ``logins.py``: the log-in flood beside it;
* ``report.py``: the results, the tables, the goals, the machine;
* ``hosted.py``: a bench of its own, hosted edges on one core
  (``python -m eldercare.bench.hosted``).
"""

from .command import add_arguments, run

__all__ = ["add_arguments", "run"]
