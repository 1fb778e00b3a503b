"""Errors of device payload decoding."""

from __future__ import annotations

from typing import Literal

PayloadProblem = Literal[
    "oversized",
    "malformed_json",
    "wrong_type",
    "unknown_topic",
    "unknown_device",
    "unknown_home",
    "bad_timestamp",
    "out_of_range",
    "unexpected_value",
    "no_data",
    # The payload broke the codec in a way it does not name (a codec bug, or input nobody
    # foresaw): refused and counted like any other, with the cause chained.
    "undecodable",
]


class DeviceError(Exception):
    """Root of the devices package's errors."""


class PayloadError(DeviceError):
    """A payload, or one value in it, is not usable. ``problem`` is a stable code to count by."""

    def __init__(
        self,
        problem: PayloadProblem,
        reason: str,
        *,
        topic: str,
        home: str | None = None,
        device: str | None = None,
        field: str | None = None,
    ):
        self.problem = problem
        self.reason = reason
        self.topic = topic
        self.home = home
        self.device = device
        self.field = field
        where = " ".join(
            part
            for part in (
                f"home={home}" if home else "",
                f"device={device}" if device else "",
                f"field={field}" if field else "",
                f"topic={topic if len(topic) <= 200 else topic[:200] + '...'}",
            )
            if part
        )
        super().__init__(f"{problem}: {reason} ({where})")
