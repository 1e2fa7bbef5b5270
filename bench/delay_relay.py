#!/usr/bin/env python3
"""A UDP relay that adds a real network delay: every datagram from a client is sent on
to UPSTREAM after DELAY/2 ms, and every reply goes back after another DELAY/2 ms, so a
DNS round trip through it takes DELAY ms more. Used by bench/run.sh inside the
benchmark's network namespace when the kernel has no `sch_netem` (tc netem).

Usage: delay_relay.py LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT DELAY_MS LIFETIME_S
Exits after LIFETIME_S seconds at the latest.
"""
import asyncio
import sys


class Upstream(asyncio.DatagramProtocol):
    """The relay's socket towards the server for one client address."""

    def __init__(self, relay, client):
        self.relay, self.client, self.transport = relay, client, None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.relay.later(lambda: self.relay.transport.sendto(data, self.client))


class Relay(asyncio.DatagramProtocol):
    def __init__(self, upstream, half_delay):
        self.upstream, self.half_delay = upstream, half_delay
        self.transport, self.clients = None, {}

    def connection_made(self, transport):
        self.transport = transport

    def later(self, action):
        asyncio.get_running_loop().call_later(self.half_delay, action)

    def datagram_received(self, data, client):
        asyncio.ensure_future(self.forward(data, client))

    async def forward(self, data, client):
        if client not in self.clients:
            loop = asyncio.get_running_loop()
            self.clients[client] = asyncio.ensure_future(
                loop.create_datagram_endpoint(lambda: Upstream(self, client), remote_addr=self.upstream))
        transport, _ = await self.clients[client]
        self.later(lambda: transport.sendto(data))


async def main():
    listen, port, up, up_port, delay_ms, lifetime = sys.argv[1:7]
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Relay((up, int(up_port)), float(delay_ms) / 2000),
                                        local_addr=(listen, int(port)))
    await asyncio.sleep(float(lifetime))


if __name__ == "__main__":
    asyncio.run(main())
