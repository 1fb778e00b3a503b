"""Escalation policies: who is told about an unacknowledged alert, and when. Pure values.

A policy is a list of steps, each "after this many seconds since the alert was raised, tell
these audiences", and an optional repeat: after the last step, its audiences are told again
every ``repeat_every_s`` until someone acknowledges. The live console shows every alert at
once anyway; escalation is about the pushes (DingTalk group, SMS) that reach people who are
not looking at a screen.

>>> policy = DEFAULT_POLICIES.for_severity("major")
>>> [(policy.offset(step), policy.audience(step)) for step in range(4)]
[(0.0, ('family',)), (600.0, ('station',)), (1500.0, ('station',)), (2400.0, ('station',))]
>>> policy.delay_after(0), policy.delay_after(1)
(600.0, 900.0)
>>> DEFAULT_POLICIES.for_severity("warning").delay_after(0) is None
True
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# "caregiver" (on duty for the room) and "head_nurse": an institution's (hub/ward_routing.py).
Audience = Literal["station", "family", "caregiver", "head_nurse"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EscalationStep(_Frozen):
    after_s: float = Field(ge=0)
    notify: tuple[Audience, ...] = Field(min_length=1)


class EscalationPolicy(_Frozen):
    steps: tuple[EscalationStep, ...] = Field(min_length=1)
    repeat_every_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _steps_in_order(self) -> EscalationPolicy:
        offsets = [step.after_s for step in self.steps]
        if offsets != sorted(offsets):
            raise ValueError("escalation steps must be in order of after_s")
        return self

    def offset(self, step: int) -> float | None:
        """Seconds after the raise at which ``step`` is due; None if there is no such step."""
        if step < len(self.steps):
            return self.steps[step].after_s
        if self.repeat_every_s is None:
            return None
        return self.steps[-1].after_s + (step - len(self.steps) + 1) * self.repeat_every_s

    def audience(self, step: int) -> tuple[Audience, ...]:
        return self.steps[min(step, len(self.steps) - 1)].notify

    def delay_after(self, step: int) -> float | None:
        """Seconds from ``step`` to the next one; None when ``step`` was the last."""
        this, following = self.offset(step), self.offset(step + 1)
        if this is None or following is None:
            return None
        return following - this


class EscalationPolicies(_Frozen):
    """One policy per severity."""

    critical: EscalationPolicy
    major: EscalationPolicy
    minor: EscalationPolicy
    warning: EscalationPolicy

    def for_severity(self, severity: str) -> EscalationPolicy:
        return getattr(self, severity)


def _policy(steps: list[tuple[float, tuple[Audience, ...]]], repeat: float | None):
    return EscalationPolicy(
        steps=tuple(EscalationStep(after_s=after, notify=notify) for after, notify in steps),
        repeat_every_s=repeat,
    )


# Critical (fall, SOS): everyone at once, again every 5 minutes until someone acknowledges.
# Otherwise the family first, the station when nobody has acknowledged after a while.
DEFAULT_POLICIES = EscalationPolicies(
    critical=_policy([(0, ("station", "family"))], 300),
    major=_policy([(0, ("family",)), (600, ("station",))], 900),
    minor=_policy([(0, ("family",)), (1800, ("station",))], 3600),
    warning=_policy([(0, ("station",))], None),
)
