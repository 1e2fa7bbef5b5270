// mailsrvsoak — load and hostile clients against the real mailsrvd, on loopback only,
// bounded in time. See RELIABILITY.md. Run as root (it uses setpriv for a second uid):
//
//     .build/debug/mailsrvsoak [--seconds 60] [--connections 1000] [--p99-ms MS]
//
// Starts a Knot DNS server (KnotHarness) and mailsrvd (the binary next to this one) in a
// temporary directory, then:
//   phase 1  `connections` well-behaved connections of uid 0, each doing Lookups in a loop,
//            while hostile clients run: one sends garbage (random bytes, bad JSON, NULs)
//            on connection after connection; one sends well-formed Lookups one byte every
//            50 ms; one opens connections until refused (uid 0 then sits at its limit)
//            and holds them (each refused one must get TooManyRequests); 50 connections
//            with 4 KiB receive buffers pipeline calls with large replies
//            (GetInterfaceDescription, a Lookup of 100 SRV targets, an Acquire of a
//            target with 2,000 A and 2,000 AAAA records) and never read. Meanwhile uid 65534
//            (setpriv) does cached Lookups in a loop: its p99 latency is bounded, and it
//            must be served while uid 0 is at its limit.
//   phase 2  kill -9 of the daemon in the middle of a flood, restart on the same
//            directories: clients reconnect; the pin taken before is restored.
// Prints the figures; exits 1 when a well-formed call failed, fds were not released,
// RSS went past 200 MiB, or the other uid was not served, or its p99 was over --p99-ms
// (given by `make soak`, not by the CI smoke run on a shared machine: there it is printed).
import Foundation

signal(SIGPIPE, SIG_IGN)

let options = Options.parse()
if let (socket, seconds) = options.latencyProbe {
    exit(Probes.latencies(socket: socket, seconds: seconds))
}
do {
    exit(try await Soak.run(options) ? 0 : 1)
} catch {
    say("mailsrvsoak: \(error)")
    exit(1)
}
