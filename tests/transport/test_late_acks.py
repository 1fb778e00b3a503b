"""A SUBACK that arrives after its caller stopped waiting (a stop in the middle of a
subscribe) is not a traceback in the operator's log."""

from __future__ import annotations

import logging

import aiomqtt

from transport.late_acks import MQTT_LOGGER, quiet_late_acknowledgements


def answer_nobody_waits_for(client: aiomqtt.Client) -> None:
    # What paho calls when the broker's SUBACK comes for a subscribe that was cancelled.
    client._on_subscribe(client._client, None, 41, [], None)


async def test_aiomqtts_late_suback_is_one_debug_line_not_a_traceback(caplog):
    client = aiomqtt.Client("127.0.0.1", 1883)
    mqtt_logger = logging.getLogger(MQTT_LOGGER)
    installed = list(mqtt_logger.filters)  # a command run earlier in this process may have
    mqtt_logger.filters.clear()
    try:
        with caplog.at_level(logging.INFO, logger=MQTT_LOGGER):
            answer_nobody_waits_for(client)
        # Without the filter aiomqtt logs it as an exception with its traceback ...
        assert any(r.exc_info and "Unexpected message" in r.getMessage() for r in caplog.records)

        caplog.clear()
        quiet_late_acknowledgements()
        quiet_late_acknowledgements()  # installing twice installs once
        with caplog.at_level(logging.INFO, logger=MQTT_LOGGER):
            answer_nobody_waits_for(client)
            mqtt_logger.error("the broker went away")
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            ("ERROR", "the broker went away")
        ]
        assert len(mqtt_logger.filters) == 1
    finally:
        mqtt_logger.filters[:] = installed
