"""A short run of `eldercare fuzz` (the command runs 100,000 cases per entry point): every
network entry point survives generated and mutated payloads, and still works afterwards."""

from __future__ import annotations

import pytest

from eldercare.fuzz import TARGETS, fuzz

CASES = 1500  # per entry point: a few seconds each


@pytest.mark.parametrize("target", TARGETS)
def test_no_payload_escapes_an_entry_point_and_a_valid_message_still_works(target):
    report = fuzz(target, cases=CASES, rounds=3, seed_value=1)
    assert report.cases >= CASES
    assert not report.uncaught, report.examples
    assert report.still_works
