"""A broker's answer to a call nobody waits for any more is not an error.

When a session is cancelled (a clean stop, a reconnect) between sending SUBSCRIBE or
UNSUBSCRIBE and the broker's answer, aiomqtt forgets the call and then logs the answer's
"unexpected" message id as an exception, with a traceback, on its ``mqtt`` logger. Nothing
was lost and nothing is wrong, but an operator reading a traceback at every stop learns to
ignore tracebacks. The commands install :func:`quiet_late_acknowledgements` with their
logging: such a record becomes one DEBUG line.
"""

from __future__ import annotations

import logging

__all__ = ["LateAcknowledgements", "quiet_late_acknowledgements"]

MQTT_LOGGER = "mqtt"  # aiomqtt's, when a client is given no logger of its own


class LateAcknowledgements(logging.Filter):
    """Turns aiomqtt's "Unexpected message ID" exception records into DEBUG lines.

    >>> import io
    >>> stream = io.StringIO()
    >>> logger = logging.getLogger("late-acks-example")
    >>> logger.setLevel(logging.INFO); logger.propagate = False
    >>> logger.addHandler(logging.StreamHandler(stream))
    >>> logger.addFilter(LateAcknowledgements())
    >>> try:
    ...     {}.pop(7)
    ... except KeyError:
    ...     logger.exception('Unexpected message ID "%d" in on_subscribe callback', 7)
    >>> logger.error("a real problem")
    >>> stream.getvalue()
    'a real problem\\n'
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Unexpected message ID"):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.exc_info, record.exc_text = None, None
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_late_acknowledgements() -> None:
    """Install :class:`LateAcknowledgements` on aiomqtt's logger (once)."""
    logger = logging.getLogger(MQTT_LOGGER)
    if not any(isinstance(f, LateAcknowledgements) for f in logger.filters):
        logger.addFilter(LateAcknowledgements())
