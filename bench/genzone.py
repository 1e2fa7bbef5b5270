#!/usr/bin/env python3
"""Writes the benchmark zone `bench.example.` to stdout.

Every mail domain NAME.bench.example has the four retrieval services, two targets and
both address families, so a cold `Lookup` needs 4 SRV queries, then 4 address queries:

    _imaps._tcp.NAME  SRV 0 1 993 imap.NAME.bench.example.
    _imap._tcp.NAME   SRV 0 1 143 imap.NAME.bench.example.
    _pop3s._tcp.NAME  SRV 10 1 995 pop.NAME.bench.example.
    _pop3._tcp.NAME   SRV 10 1 110 pop.NAME.bench.example.
    imap.NAME / pop.NAME   A 127.0.x.y   AAAA fd00::x:y

Names: w0…w{warm-1} (cached lookups and the 10,000-domain memory figure) and
c0…c{cold-1} (never-seen domains for the cold discovery runs). TTL 3600 everywhere.
Usage: genzone.py WARM COLD
"""
import sys


def domain(name: str, n: int) -> str:
    x, y = (n >> 8) & 0xFF, n & 0xFF
    return (f"_imaps._tcp.{name} SRV 0 1 993 imap.{name}.bench.example.\n"
            f"_imap._tcp.{name} SRV 0 1 143 imap.{name}.bench.example.\n"
            f"_pop3s._tcp.{name} SRV 10 1 995 pop.{name}.bench.example.\n"
            f"_pop3._tcp.{name} SRV 10 1 110 pop.{name}.bench.example.\n"
            f"imap.{name} A 127.1.{x}.{y}\nimap.{name} AAAA fd00::1:{x:x}:{y:x}\n"
            f"pop.{name} A 127.2.{x}.{y}\npop.{name} AAAA fd00::2:{x:x}:{y:x}\n")


def main() -> None:
    warm, cold = int(sys.argv[1]), int(sys.argv[2])
    out = sys.stdout
    out.write("$ORIGIN bench.example.\n$TTL 3600\n"
              "@ SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 60\n"
              "@ NS ns.bench.example.\nns A 127.0.0.1\n")
    for n in range(warm):
        out.write(domain(f"w{n}", n))
    for n in range(cold):
        out.write(domain(f"c{n}", n))


if __name__ == "__main__":
    main()
