"""The hub's settings as an operator gives them: a mistake is refused at start, in words
that say what to change."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.errors import describe_validation_error
from hub.settings import HubSettings


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("json://sms.example.org/send?to={Phone}", "unknown field {Phone}"),
        ("json://sms.example.org/send?to={phone", "expected '}' before end of string"),
        ("json://sms.example.org/send?to={}", "Replacement index 0 out of range"),
    ],
)
def test_a_contact_template_with_a_typo_is_refused_at_start_naming_it_and_the_fields(
    monkeypatch, template, problem
):
    monkeypatch.setenv("ELDERCARE_CONTACT_TARGETS", f'{{"sms": "{template}"}}')
    with pytest.raises(ValidationError) as refused:
        HubSettings()
    said = describe_validation_error(refused.value)
    assert said.startswith(f"contact_targets: the 'sms' template: {problem}")
    assert said.endswith("a template may use only {phone} and {name}")


def test_a_contact_template_with_phone_and_name_is_taken(monkeypatch):
    template = "json://sms.example.org/send?to={phone}&greeting={name}"
    monkeypatch.setenv("ELDERCARE_CONTACT_TARGETS", f'{{"sms": "{template}"}}')
    assert HubSettings().contact_targets == {"sms": template}
