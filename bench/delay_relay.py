#!/usr/bin/env python3
"""A UDP relay that adds a real network delay: every datagram from a client is sent on
to UPSTREAM after DELAY/2 ms, and every reply goes back after another DELAY/2 ms, so a
DNS round trip through it takes DELAY ms more. Used by bench/run.sh inside the
benchmark's network namespace when the kernel has no `sch_netem` (tc netem).

Each datagram waits in its own thread with time.sleep (clock_nanosleep): an event loop
would round every timer up to the next millisecond (epoll's timeout unit), adding up to
1 ms per hop.

Usage: delay_relay.py LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT DELAY_MS LIFETIME_S
Exits after LIFETIME_S seconds at the latest.
"""
import socket
import sys
import threading
import time


def later(half_delay, action):
    """Runs `action` half_delay seconds from now, on its own thread."""
    due = time.monotonic() + half_delay

    def wait_then_act():
        remaining = due - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        action()

    threading.Thread(target=wait_then_act, daemon=True).start()


def main():
    listen, port, up, up_port, delay_ms, lifetime = sys.argv[1:7]
    half_delay = float(delay_ms) / 2000
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((listen, int(port)))
    server.settimeout(0.5)
    upstreams = {}  # client address -> connected socket towards the server

    def send_replies(upstream, client):
        while True:
            reply = upstream.recv(65535)
            later(half_delay, lambda reply=reply: server.sendto(reply, client))

    end = time.monotonic() + float(lifetime)
    while time.monotonic() < end:
        try:
            query, client = server.recvfrom(65535)
        except socket.timeout:
            continue
        upstream = upstreams.get(client)
        if upstream is None:
            upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            upstream.connect((up, int(up_port)))
            upstreams[client] = upstream
            threading.Thread(target=send_replies, args=(upstream, client), daemon=True).start()
        later(half_delay, lambda query=query, upstream=upstream: upstream.send(query))


if __name__ == "__main__":
    main()
