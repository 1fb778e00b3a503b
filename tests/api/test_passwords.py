"""Password rules: a minimum length and the common passwords refused for the API's accounts
and for the first admin; the demo alone is exempt, by its own setting."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from api.app import first_admin
from hub.passwords import PasswordPolicy, WeakPassword
from hub.settings import HubSettings
from hub.store import Store
from tests.support.factories import FAMILY, HOME, register, served, settings_for

ACCOUNT = {"name": "李明", "role": "family", "residents": [HOME]}


WEAK = [
    ("Zq9", "at least 10 characters"),
    ("password", "at least 10 characters"),
    ("1234567890", "most common"),
    ("qwertyuiop", "most common"),
    ("Password123", "most common"),  # a common word with digits appended
    ("iloveyou2024", "most common"),
    ("li.ming-secret", "user name"),
    ("aaaaaaaaaaaa", "different characters"),
]


async def test_the_api_refuses_weak_passwords_without_quoting_them(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        for password, why in WEAK:
            answer = await hub.http.put(f"/users/{FAMILY}", json={**ACCOUNT, "password": password})
            assert answer.status_code == 422, password
            assert why in answer.json()["detail"], password
            assert f'"{password}"' not in answer.text and "input" not in answer.text
        fine = await hub.http.put(
            f"/users/{FAMILY}", json={**ACCOUNT, "password": "plum-blossom-7731"}
        )
        assert fine.status_code == 200


async def test_the_demo_setting_allows_weak_passwords(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path, allow_weak_passwords=True)
    async with served(settings) as hub:
        await register(hub)  # the resident the account is for
        answer = await hub.http.put(f"/users/{FAMILY}", json={**ACCOUNT, "password": "demo"})
        assert answer.status_code == 200


def test_a_weak_first_admin_password_stops_the_hub_from_starting(tmp_path):
    store = Store.sqlite(tmp_path / "hub.db")
    try:
        with pytest.raises(WeakPassword, match="ELDERCARE_ADMIN_PASSWORD is refused"):
            first_admin(store, HubSettings(admin_password="a"))
        with pytest.raises(WeakPassword, match="most common"):
            first_admin(store, HubSettings(admin_password="password123"))
        first_admin(store, HubSettings(admin_password="demo", allow_weak_passwords=True))
    finally:
        store.close()


def test_without_an_account_or_an_admin_password_the_hub_says_so(tmp_path, caplog):
    store = Store.sqlite(tmp_path / "hub.db")
    try:
        with caplog.at_level(logging.WARNING, logger="api"):
            first_admin(store, HubSettings())
        assert "ELDERCARE_ADMIN_PASSWORD is not set: nobody can log in" in caplog.text
        first_admin(store, HubSettings(admin_password="plum-blossom-7731"))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="api"):
            first_admin(store, HubSettings())  # an account exists: nothing to say
        assert caplog.text == ""
    finally:
        store.close()


def test_the_policy_counts_characters_not_bytes():
    policy = PasswordPolicy(min_length=10)
    assert policy.problem("颍州社区养老服务站很好", "admin") is None  # 11 characters
    assert "at least" in (policy.problem("颍州社区养老", "admin") or "")


def test_eldercare_hub_refuses_a_weak_admin_password_in_one_line(tmp_path):
    env = {
        **os.environ,
        "ELDERCARE_ADMIN_PASSWORD": "qwerty123456",
        "ELDERCARE_DATABASE": f"sqlite:///{tmp_path / 'hub.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "eldercare", "hub", "--port", "1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "eldercare hub: ELDERCARE_ADMIN_PASSWORD is refused: "
        "this password is one of the most common ones; choose another"
    ]
    assert "qwerty123456" not in done.stderr
