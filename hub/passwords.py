"""Which passwords the hub accepts: at least ``min_length`` characters, not one of the most
common passwords, not the user name, and not one character (or a few) repeated.

The common passwords are the 30,000 most frequent ones that the ``zxcvbn`` package (MIT
licence, github.com/dwolfhub/zxcvbn-python, a port of Dropbox's zxcvbn) ships as its
``passwords`` frequency list; they are compared without regard to case.

>>> policy = PasswordPolicy(min_length=10)
>>> policy.problem("a", "admin")
'a password needs at least 10 characters'
>>> policy.problem("1qaz2wsx3edc", "admin") is None
False
>>> policy.problem("Password123", "admin")
'this password is one of the most common ones; choose another'
>>> policy.problem("lantern-harbour-42", "admin") is None
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .errors import HubError


class WeakPassword(HubError):
    """A password the policy refuses (422); the message never quotes the password."""

    status = 422


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    allow_weak: bool = False  # the demo only: its accounts use "demo"

    @classmethod
    def of(cls, settings: object) -> PasswordPolicy:
        return cls(
            min_length=getattr(settings, "password_min_length", 10),
            allow_weak=getattr(settings, "allow_weak_passwords", False),
        )

    def problem(self, password: str, username: str) -> str | None:
        """Why ``password`` is refused for ``username``, or None."""
        if self.allow_weak:
            return None
        if len(password) < self.min_length:
            return f"a password needs at least {self.min_length} characters"
        folded = password.lower()
        if folded in common_passwords() or _without_trailing_digits(folded) in common_passwords():
            return "this password is one of the most common ones; choose another"
        if username and username.lower() in folded:
            return "a password must not contain the user name"
        if len(set(folded)) < 4:
            return "a password needs more than a few different characters"
        return None

    def check(self, password: str, username: str) -> None:
        reason = self.problem(password, username)
        if reason is not None:
            raise WeakPassword(f"password refused for {username}: {reason}")


def _without_trailing_digits(folded: str) -> str:
    # "password123", "qwerty2024": a common word with digits appended is no better.
    stripped = folded.rstrip("0123456789")
    return stripped if len(stripped) >= 4 else folded
