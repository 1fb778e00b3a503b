"""The loopback ports the demo, the bench and the tests start their servers on."""

from __future__ import annotations

import socket

from eldercare.broker import _ephemeral_ports, free_port


def test_a_free_port_is_bindable_and_never_one_an_outgoing_connection_could_take():
    low, high = _ephemeral_ports()
    ports = {free_port() for _ in range(50)}
    # Outside the range the kernel picks client source ports from: no connection made by
    # anything else on the machine can take it before the server binds it.
    assert all(port < low or port > high for port in ports)
    assert len(ports) > 40  # drawn at random: two test workers rarely draw the same one
    for port in list(ports)[:5]:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()
