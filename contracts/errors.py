"""Errors raised when data does not meet the contracts of ARCHITECTURE.md."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class ContractError(Exception):
    """Root of the contract errors: a reading, a file or a home config that is not valid."""


class ReadingError(ContractError):
    """A line of a readings file is not a canonical reading."""

    def __init__(self, reason: str, *, source: str | Path | None = None, line: int | None = None):
        self.reason = reason
        self.source = str(source) if source is not None else None
        self.line = line
        where = f"{self.source or '<readings>'}:{line}" if line is not None else self.source
        super().__init__(f"{where}: {reason}" if where else reason)


class HomeConfigError(ContractError):
    """A home config cannot be used; says which home and what is wrong."""

    def __init__(self, reason: str, *, home: str | None = None, source: str | Path | None = None):
        self.reason = reason
        self.home = home
        self.source = str(source) if source is not None else None
        where = ", ".join(p for p in (self.source, f"home {home}" if home else None) if p)
        super().__init__(f"{where}: {reason}" if where else reason)


def describe_validation_error(exc: ValidationError, *, show_input: bool = False) -> str:
    """One line per problem, `field.path: message`, readable in a log or a terminal;
    ``show_input``: with the value that was refused, where it is a short scalar (only
    for input that holds no secret: a home config, not settings or a log-in)."""
    parts = []
    for problem in exc.errors(include_url=False):
        location = ".".join(str(part) for part in problem["loc"]) or "(root)"
        # Our own validators' words, without pydantic's "Value error, " in front of them.
        message = problem["msg"].removeprefix("Value error, ")
        given = problem.get("input")
        if show_input and isinstance(given, str | int | float | bool) and len(repr(given)) <= 60:
            message += f" (got {given!r})"
        parts.append(f"{location}: {message}")
    return "; ".join(parts)
