"""A stop while a client connects leaves no socket to the event loop, and no traceback.

Between the client and a real Mosquitto, a proxy holds the broker's CONNACK back for half a
second; the connecting task is cancelled meanwhile, then the proxy and its connections go
(as the demo's brokers do after its edges and hub when Ctrl-C stops it).
"""

from __future__ import annotations

import asyncio
import contextlib

import aiomqtt
import pytest

from transport.sessions import connected

HOLD_S = 0.5


async def slow_proxy(
    broker_host: str, broker_port: int, hold_s: float, writers: list[asyncio.StreamWriter]
) -> asyncio.Server:
    async def handle(client_reader, client_writer) -> None:
        broker_reader, broker_writer = await asyncio.open_connection(broker_host, broker_port)
        writers.extend([client_writer, broker_writer])

        async def pipe(reader, writer, delay: float) -> None:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await reader.read(4096):
                    await asyncio.sleep(delay)
                    writer.write(data)
                    await writer.drain()
            writer.close()

        await asyncio.gather(
            pipe(client_reader, broker_writer, 0), pipe(broker_reader, client_writer, hold_s)
        )

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize("enter", ["connected", "plain async with"])
async def test_a_connect_cancelled_midway_leaves_no_traceback_behind(mosquitto, enter):
    loop = asyncio.get_running_loop()
    failures: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: failures.append(context))
    writers: list[asyncio.StreamWriter] = []
    proxy = await slow_proxy(mosquitto.host, mosquitto.port, HOLD_S, writers)
    port = proxy.sockets[0].getsockname()[1]
    kwargs = {**mosquitto.client_kwargs(mosquitto.url), "hostname": "127.0.0.1", "port": port}

    async def session() -> None:
        client = aiomqtt.Client(**kwargs)
        if enter == "connected":
            async with connected(client):
                await asyncio.sleep(60)
        else:
            async with client:
                await asyncio.sleep(60)

    task = asyncio.create_task(session())
    async with asyncio.timeout(10):
        while not writers:  # connected over TCP through the proxy, its CONNACK held back
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    proxy.close()
    for writer in writers:  # the broker goes: every connection through it closes
        writer.close()
    await asyncio.sleep(HOLD_S * 3)  # the socket's last callbacks
    loop.set_exception_handler(None)
    errors = [repr(c.get("exception")) for c in failures]
    if enter == "connected":
        assert errors == []
    else:  # what the demo printed on its way out: aiomqtt 2.5's own behaviour
        assert any("CancelledError" in e for e in errors), errors
