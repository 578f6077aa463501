"""Webhook deliveries keep their connections open, each for the name it was opened for alone
(`services/notify/worker.py`: `PoolPerName`)."""

import asyncio
from ipaddress import ip_address

import httpx

from services.notify.worker import DeliveryPolicy, _post_to_checked_address, delivery_client
from shared.webhook_targets import Target


async def test_deliveries_to_one_name_share_a_connection_and_another_name_on_the_same_address_gets_its_own():
    connections: list[list[bytes]] = []  # per connection accepted, the Host of each request on it

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hosts: list[bytes] = []
        connections.append(hosts)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                headers = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:] if line)
                hosts.append(headers[b"host"])
                await reader.readexactly(int(headers[b"content-length"]))
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    local = (ip_address("127.0.0.1"),)
    portal, other = (
        Target(httpx.URL(f"http://{name}:{port}/hooks"), name, port, local) for name in ("portal.test", "other.test")
    )
    try:
        async with delivery_client(DeliveryPolicy()) as client:
            for target in (portal, portal, other, portal):
                response = await _post_to_checked_address(client, target, b"{}", {})
                assert response.status_code == 204
    finally:
        server.close()
        await server.wait_closed()

    assert sorted(connections) == [[f"other.test:{port}".encode()], [f"portal.test:{port}".encode()] * 3]
