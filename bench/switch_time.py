#!/usr/bin/env python3
"""Time from an atomic rename of resolv.conf to the first Lookup answered by the new
server (bench/run.sh, step 4). The daemon follows ETC/resolv.conf (inside its mount
namespace, /etc/resolv.conf); the servers A and B answer `_imaps._tcp` of DOMAIN with
different targets (TARGET_A, TARGET_B). Each switch renames a file naming the other
server into place, then asks the daemon again and again (one Lookup at a time, want =
imaps) until the new server's target comes back. Prints the times in ms as a JSON list.

Usage: switch_time.py SOCKET ETC DOMAIN ADDR_A TARGET_A ADDR_B TARGET_B SWITCHES
"""
import json
import os
import socket
import sys
import time


def lookup(sock, email):
    sock.sendall(json.dumps({"method": "io.mailsrvd.Discovery.Lookup",
                             "parameters": {"email": email, "want": "imaps"}}).encode() + b"\0")
    data = b""
    while not data.endswith(b"\0"):
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the daemon closed the connection")
        data += chunk
    reply = json.loads(data[:-1])
    return [c["host"] for c in reply.get("parameters", {}).get("candidates", [])]


def main():
    path, etc, domain, addr_a, target_a, addr_b, target_b, switches = sys.argv[1:9]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    email = f"user@{domain}"
    servers = [(addr_a, target_a), (addr_b, target_b)]
    times = []
    for n in range(int(switches)):
        addr, target = servers[(n + 1) % 2]
        with open(f"{etc}/resolv.conf.new", "w") as f:
            f.write(f"# switch {n}\nnameserver {addr}\n")
        start = time.monotonic()
        os.rename(f"{etc}/resolv.conf.new", f"{etc}/resolv.conf")
        deadline = start + 30
        while set(lookup(sock, email)) != {target}:
            if time.monotonic() > deadline:
                raise SystemExit(f"switch {n}: {target} not seen within 30 s")
        times.append(round((time.monotonic() - start) * 1000, 2))
        time.sleep(0.2)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
