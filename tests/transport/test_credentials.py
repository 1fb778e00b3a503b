"""Credentials come from settings or a file, never show in a URL's text, and `mqtts://`
takes a CA of its own and a client certificate: against a real Mosquitto with TLS."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import aiomqtt
import pytest

from eldercare.broker import free_port, run_broker
from eldercare.broker_accounts import PasswordFile
from hub.settings import HubSettings
from transport.broker_url import BrokerUrl, BrokerUrlError
from transport.credentials import BrokerAuth, broker_url


def test_a_password_file_is_read_at_every_connect_and_never_shown(tmp_path, monkeypatch):
    secret = tmp_path / "mqtt.password"
    secret.write_text("first-secret\n")
    monkeypatch.setenv("ELDERCARE_MQTT_USERNAME", "h001")
    monkeypatch.setenv("ELDERCARE_MQTT_PASSWORD_FILE", str(secret))
    settings = HubSettings(broker="mqtt://hub.example:1884")
    url = settings.broker_url
    assert (url.username, url.password) == ("h001", "first-secret")
    assert "first-secret" not in f"{url} {url!r} {settings!r}"
    secret.write_text("rotated\n")
    assert settings.broker_url.password == "rotated"
    # A URL's own user and password win over the environment.
    assert broker_url("mqtt://other:pw@host").username == "other"


def test_a_missing_password_file_or_a_bad_url_says_why_without_the_secret(tmp_path):
    with pytest.raises(BrokerUrlError, match=r"mqtt\.password"):
        BrokerAuth(username="h001", password_file=tmp_path / "mqtt.password").applied_to(
            BrokerUrl.parse("mqtt://hub.example")
        )
    with pytest.raises(BrokerUrlError) as error:
        BrokerUrl.parse("mqtt://h001:hunter2@hub.example:99999")
    assert "hunter2" not in str(error.value) and "h001:***@" in str(error.value)
    with pytest.raises(BrokerUrlError, match="mqtts"):
        BrokerAuth(cert_file=tmp_path / "c.pem").applied_to(BrokerUrl.parse("mqtt://h"))


def _openssl(*argv: str, cwd: Path) -> None:
    subprocess.run(["openssl", *argv], cwd=cwd, check=True, capture_output=True)


def certificates(folder: Path) -> Path:
    """A CA, the broker's certificate for 127.0.0.1 and a client's, all signed by it."""
    folder.mkdir()
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    ca = ("-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2")
    _openssl("req", "-x509", *key, "-days", "2", "-subj", "/CN=eldercare test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, extra in (("broker", ["-extfile", "san.ext"]), ("client", [])):
        _openssl("req", *key, "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=folder)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", *ca, "-out", f"{name}.crt", *extra,
                 cwd=folder)  # fmt: skip
    return folder


async def test_mqtts_with_a_ca_file_and_a_client_certificate(tmp_path):
    tls = certificates(tmp_path / "tls")
    PasswordFile(tmp_path / "broker" / "edges.passwd").set("h001", "s3cret")
    port = free_port()
    config = "\n".join(
        [
            f"listener {port} 127.0.0.1",
            "allow_anonymous false",
            f"password_file {tmp_path / 'broker' / 'edges.passwd'}",
            f"cafile {tls / 'ca.crt'}",
            f"certfile {tls / 'broker.crt'}",
            f"keyfile {tls / 'broker.key'}",
            "require_certificate true",
            *(["user root"] if os.geteuid() == 0 else []),  # see eldercare.broker
            "",
        ]
    )
    broker = run_broker(config, tmp_path / "broker", port)
    url = BrokerUrl.parse(f"mqtts://127.0.0.1:{port}")
    auth = {"username": "h001", "password": "s3cret", "ca_file": tls / "ca.crt"}
    client_cert = {"cert_file": tls / "client.crt", "key_file": tls / "client.key"}
    try:
        async with aiomqtt.Client(
            **BrokerAuth(**auth, **client_cert).applied_to(url).client_kwargs()
        ) as client:
            await client.publish("eldercare/v1/h001/event", b"{}", qos=1)
        with pytest.raises(aiomqtt.MqttError):  # no client certificate
            kwargs = BrokerAuth(**auth).applied_to(url).client_kwargs()
            async with aiomqtt.Client(**kwargs, timeout=2):
                pass
        with pytest.raises(aiomqtt.MqttError):  # the system's CAs do not know this broker
            without_ca = {**auth, "ca_file": None, **client_cert}
            kwargs = BrokerAuth(**without_ca).applied_to(url).client_kwargs()
            async with aiomqtt.Client(**kwargs, timeout=2):
                pass
    finally:
        broker.stop()
