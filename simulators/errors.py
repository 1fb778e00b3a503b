"""The root exception of the simulators: what went wrong, and where (home, device, topic)."""

from __future__ import annotations


class SimulatorError(Exception):
    """A simulation could not be encoded, written or published.

    The message is meant for a terminal: ``eldercare simulate`` prints it as is.
    """

    def __init__(
        self,
        reason: str,
        *,
        home: str | None = None,
        device: str | None = None,
        topic: str | None = None,
    ):
        self.reason = reason
        self.home = home
        self.device = device
        self.topic = topic
        where = " ".join(
            part
            for part in (
                f"home={home}" if home else "",
                f"device={device}" if device else "",
                f"topic={topic}" if topic else "",
            )
            if part
        )
        super().__init__(f"{reason} ({where})" if where else reason)


class EncodeError(SimulatorError):
    """A canonical reading has no payload on the device that is meant to send it."""
