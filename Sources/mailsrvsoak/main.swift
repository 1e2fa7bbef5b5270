// mailsrvsoak — load and hostile clients against the real mailsrvd, on loopback only,
// bounded in time. See RELIABILITY.md. Run as root (it uses setpriv for a second uid):
//
//     .build/debug/mailsrvsoak [--seconds 60] [--connections 1000]
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
import KnotHarness
import MailSRVInterface
import Synchronization
import Varlink

setvbuf(stdout, nil, _IOLBF, 0)
signal(SIGPIPE, SIG_IGN)

// MARK: Arguments

var seconds = 60.0
var connections = 1000
var p99Bound: Double?
var probeSocket: String?
var latencyProbe: (socket: String, seconds: Double)?
do {
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--seconds": seconds = Double(arguments.popFirst() ?? "") ?? seconds
        case "--connections": connections = Int(arguments.popFirst() ?? "") ?? connections
        case "--p99-ms": p99Bound = Double(arguments.popFirst() ?? "")
        case "--probe": probeSocket = arguments.popFirst()   // internal: one Lookup, as whoever runs it
        case "--latency-probe":   // internal: cached Lookups in a loop, as whoever runs it
            latencyProbe = (arguments.popFirst() ?? "", Double(arguments.popFirst() ?? "") ?? 10)
        default:
            FileHandle.standardError.write(Data("usage: mailsrvsoak [--seconds N] [--connections N] [--p99-ms MS]\n".utf8))
            exit(2)
        }
    }
}

let lookup = DiscoveryInterface.Method.lookup.qualifiedName
let emails: [(email: String, want: String, domain: String)] = [
    ("soak@example.net", "retrieval", "example.net"), ("soak@example.net", "submission", "example.net"),
    ("soak@regional.example.net", "imaps", "regional.example.net"), ("soak@nopop.example.net", "retrieval", "nopop.example.net"),
    ("soak@bücher.example.net", "imaps", "xn--bcher-kva.example.net"), ("soak@live.example.net", "imaps", "live.example.net"),
]

/// One Lookup checked in full: no error, the right domain, at least one candidate.
func wellFormedLookup(_ client: VarlinkClient, _ index: Int) -> String? {
    let (email, want, domain) = emails[index % emails.count]
    do {
        let reply = try client.call(lookup, ["email": .string(email), "want": .string(want)])
        if let error = reply.error { return "\(error) \(reply.parameters)" }
        guard reply["domain"]?.stringValue == domain, let candidates = reply["candidates"]?.arrayValue,
              !candidates.isEmpty else { return "unexpected reply \(reply)" }
        return nil
    } catch {
        return "\(error)"
    }
}

if let socket = probeSocket {
    guard let client = try? VarlinkClient.connect(to: socket, timeout: .seconds(10)) else { print("connect failed"); exit(1) }
    if let failure = wellFormedLookup(client, 0) { print(failure); exit(1) }
    print("served uid \(getuid())")
    exit(0)
}

/// Prints `latencies COUNT FAILURES P50 P99 MAX` (milliseconds) of cached Lookups on one
/// connection, one every 10 ms for `seconds`; a failed call ends the loop.
if let (socket, seconds) = latencyProbe {
    guard let client = try? VarlinkClient.connect(to: socket, timeout: .seconds(10)) else { print("connect failed"); exit(1) }
    var latencies: [Double] = []
    var failures = 0
    let end = Date() + seconds
    while Date() < end {
        let began = ContinuousClock.now
        let failure = wellFormedLookup(client, 0)
        let elapsed = ContinuousClock.now - began
        latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        if failure != nil { failures += 1; break }
        usleep(10_000)
    }
    latencies.sort()
    func percentile(_ p: Double) -> Double { latencies.isEmpty ? .infinity : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    print(String(format: "latencies %d %d %.2f %.2f %.2f", latencies.count, failures, percentile(0.5), percentile(0.99),
                 latencies.last ?? .infinity))
    exit(0)
}

extension VarlinkReply {
    subscript(_ name: String) -> JSONValue? { parameters[name] }
}

// MARK: The daemon

var limit = rlimit()
getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = limit.rlim_max
setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
// The daemon gives one uid at most 3/16 of its descriptor limit (DescriptorBudget): uid 0
// needs `connections` + 64 of them, the soak itself one per connection and a few hundred more.
guard limit.rlim_cur >= rlim_t((connections + 64) * 16 / 3 + 1) else {
    print("RLIMIT_NOFILE \(limit.rlim_cur) is too low for \(connections) connections of one uid; raise the hard limit")
    exit(2)
}

let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvsoak-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o755])
let socketPath = directory.appendingPathComponent("run/\(SocketLocation.fileName)").path
let perUserLimit = connections + 64
let config = """
    [Discovery]
    MaxConnectionsPerUser=\(perUserLimit)
    MaxCallsPerUser=\(connections * 2)
    IdleTimeout=10s
    SaveInterval=1s
    QueryTimeout=2s

    """
try config.write(to: directory.appendingPathComponent("mailsrvd.conf"), atomically: true, encoding: .utf8)

/// Legal but large answers: `_imaps._tcp.wide.test` has 100 SRV targets (a Lookup reply of
/// ~20 KB), `_imaps._tcp.many.test` one target with 2,000 A and 2,000 AAAA records.
func bigZone(_ name: String) -> String {
    var lines = ["@ 3600 SOA ns.\(name). hostmaster.\(name). 1 3600 600 86400 60",
                 "@ 3600 NS ns", "ns 3600 A 127.0.0.1"]
    if name == "wide.test" {
        for index in 1...100 {
            lines.append("_imaps._tcp 3600 SRV 0 1 993 t\(index)")
            lines.append("t\(index) 3600 A 127.0.1.\(index)")
        }
    } else {
        lines.append("_imaps._tcp 3600 SRV 0 1 993 mx")
        for index in 0..<2000 {
            lines.append("mx 3600 A 127.1.\(index / 256).\(index % 256)")
            lines.append("mx 3600 AAAA fd00::1:\(String(index, radix: 16))")
        }
    }
    return lines.joined(separator: "\n") + "\n"
}
let knot = try await KnotServer.start(signing: false, extraZones: ["wide.test": bigZone("wide.test"),
                                                                   "many.test": bigZone("many.test")])

final class Daemon: @unchecked Sendable {
    let process = Process()
    init() throws {
        process.executableURL = binaries.appendingPathComponent("mailsrvd")
        process.arguments = ["--socket", socketPath, "--log-level", "notice", "--config",
                             directory.appendingPathComponent("mailsrvd.conf").path,
                             "--state-directory", directory.appendingPathComponent("state").path,
                             "--cache-directory", directory.appendingPathComponent("cache").path,
                             "--dns-server", knot.forwarder]
        let log = directory.appendingPathComponent("mailsrvd.log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date() + 20
        while Date() < deadline {
            if let client = try? VarlinkClient.connect(to: socketPath, timeout: .seconds(2)) { client.close(); return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw SoakError("mailsrvd did not start; see \(log.path)")
    }
    var pid: Int32 { process.processIdentifier }
    var rssKiB: Int { Sample(pid: pid).rssKiB }
    var fds: Int { Sample(pid: pid).fds }

    struct Sample {
        var pid: Int32
        var rssKiB: Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        var fds: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }
    }
}

struct SoakError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

var problems: [String] = []
func check(_ ok: Bool, _ what: String) {
    print(ok ? "  ok    \(what)" : "  FAIL  \(what)")
    if !ok { problems.append(what) }
}

// MARK: Raw sockets for the hostile clients

@Sendable func rawConnect(_ path: String) -> Int32? {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let ok = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if ok != 0 { close(fd); return nil }
    return fd
}

@Sendable func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        sent += n
    }
    return true
}

/// Reads until the peer closes or `timeout` passes; returns (bytes read, closed by peer).
@Sendable func drain(_ fd: Int32, timeout: Double) -> (Int, Bool) {
    let deadline = Date() + timeout
    var total = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    while Date() < deadline {
        var events = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&events, 1, 100) >= 0 else { continue }
        if events.revents == 0 { continue }
        let n = recv(fd, &buffer, buffer.count, 0)
        if n > 0 { total += n } else if n == 0 || errno != EINTR { return (total, true) }
    }
    return (total, false)
}

@Sendable func call(_ name: String) -> [UInt8] {
    Array(#"{"method":"\#(lookup)","parameters":{"email":"\#(name)@example.net","want":"imaps"}}"#.utf8) + [0]
}

/// The calls with large replies the non-readers pipeline; the Acquire of 4,000 addresses
/// is bounded by the daemon to 16 addresses.
let bigReplies: [UInt8] = ([
    #"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.mailsrvd.Discovery"}}"#,
    #"{"method":"\#(lookup)","parameters":{"email":"big@wide.test","want":"imaps"}}"#,
    #"{"method":"io.mailsrvd.Discovery.Acquire","parameters":{"email":"big@many.test","want":"imaps"}}"#,
])
    .flatMap { Array($0.utf8) + [0] }

// MARK: Phase 1

final class Counters: Sendable {
    struct State {
        var calls = 0, failures: [String] = [], maxLatency = 0.0
        var garbageConnections = 0, garbageClosedByDaemon = 0
        var slowCalls = 0, slowFailures: [String] = []
        var opened = 0, refused = false, refusedWith = ""
        var neverReaderBytesSent = 0
        var connected = 0
    }
    let state = Mutex(State())
    let stop = Atomic<Bool>(false)
}

var daemon = try Daemon()
// Warm up the cache (and the daemon's allocator) before the baseline.
do {
    let client = try VarlinkClient.connect(to: socketPath, timeout: .seconds(10))
    for index in 0..<emails.count * 3 { _ = wellFormedLookup(client, index) }
    for (email, method) in [("big@wide.test", lookup), ("big@many.test", DiscoveryInterface.Method.acquire.qualifiedName)] {
        let reply = try client.call(method, ["email": .string(email), "want": "imaps"])
        if let error = reply.error { throw SoakError("\(method) \(email): \(error)") }
        print("  \(email): \(reply.encoded().count) bytes of reply")
    }
    client.close()
}
usleep(500_000)
let rssBefore = daemon.rssKiB, fdsBefore = daemon.fds
print("mailsrvsoak: \(connections) connections, \(Int(seconds)) s, pid \(daemon.pid), knot \(knot.forwarder)")
print("phase 1: flood with hostile clients")
print("  before: RSS \(rssBefore) KiB, \(fdsBefore) fds")

let counters = Counters()
// Peak RSS and fds of the daemon, sampled every 200 ms during phase 1.
let peaks = Mutex((0, 0))
let sampledPID = daemon.pid
let sampler = Thread {
    let sample = Daemon.Sample(pid: sampledPID)
    while !counters.stop.load(ordering: .relaxed) {
        let (rss, fds) = (sample.rssKiB, sample.fds)
        peaks.withLock { $0 = (max($0.0, rss), max($0.1, fds)) }
        usleep(200_000)
    }
}
sampler.start()
let start = Date()
var threads: [Thread] = []
func spawn(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread { body() }
    thread.stackSize = 256 * 1024
    thread.start()
}
let running = Atomic<Int>(0)

for index in 0..<connections {
    running.add(1, ordering: .relaxed)
    spawn {
        defer { running.subtract(1, ordering: .relaxed) }
        guard let client = try? VarlinkClient.connect(to: socketPath, timeout: .seconds(60)) else {
            counters.state.withLock { $0.failures.append("connect \(index) failed") }
            return
        }
        counters.state.withLock { $0.connected += 1 }
        var round = index
        while !counters.stop.load(ordering: .relaxed) {
            let began = Date()
            let failure = wellFormedLookup(client, round)
            let latency = Date().timeIntervalSince(began)
            counters.state.withLock { state in
                state.calls += 1
                state.maxLatency = max(state.maxLatency, latency)
                if let failure, state.failures.count < 20 { state.failures.append(failure) }
                else if failure != nil { state.failures.append("") }
            }
            if failure != nil { break }
            round += 1
            usleep(UInt32.random(in: 200_000...1_000_000))   // about 1,700 Lookups/s from 1,000 clients
        }
        client.close()
    }
}
while counters.state.withLock({ $0.connected + $0.failures.count }) < connections, Date() < start + 120 {
    usleep(50_000)
}
let floodDeadline = Date() + seconds
print("  \(counters.state.withLock { $0.connected }) well-behaved connections open after \(String(format: "%.1f", Date().timeIntervalSince(start))) s")

// Garbage: random bytes, broken JSON, NULs, on one connection after another.
running.add(1, ordering: .relaxed)
spawn {
    defer { running.subtract(1, ordering: .relaxed) }
    let shapes: [[UInt8]] = [Array("{\"method\":".utf8) + [0], Array("[1,2]\0".utf8), [0xFF, 0xFE, 0, 0, 0x7B],
                             Array(repeating: 0x7B, count: 70_000), Array("{\"method\":\"x\"}\0\u{1}\u{2}garbage\0".utf8)]
    var round = 0
    while !counters.stop.load(ordering: .relaxed) {
        guard let fd = rawConnect(socketPath) else { usleep(10_000); continue }
        var bytes = round % 2 == 0 ? shapes[round / 2 % shapes.count] : (0..<Int.random(in: 1...4096)).map { _ in UInt8.random(in: 0...255) }
        if round % 3 == 0 { bytes.append(0) }
        _ = sendAll(fd, bytes)
        let (_, closed) = drain(fd, timeout: 30)   // the partial-message timeout is 10 s; the flood may stall it
        close(fd)
        counters.state.withLock {
            $0.garbageConnections += 1
            if closed { $0.garbageClosedByDaemon += 1 }
        }
        round += 1
    }
}

// Slow: well-formed Lookups, one byte every 50 ms.
running.add(1, ordering: .relaxed)
spawn {
    defer { running.subtract(1, ordering: .relaxed) }
    guard let fd = rawConnect(socketPath) else { return }
    defer { close(fd) }
    while !counters.stop.load(ordering: .relaxed) {
        for byte in call("slow") {
            guard sendAll(fd, [byte]) else { break }
            usleep(50_000)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date() + 10
        while !received.contains(0), Date() < deadline {
            var events = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&events, 1, 100) > 0 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                received += buffer[..<n]
            }
        }
        let message = received.split(separator: 0).first.map { Array($0) } ?? []
        let reply = try? VarlinkReply(message: message)
        counters.state.withLock { state in
            state.slowCalls += 1
            if reply == nil || reply?.error != nil {
                state.slowFailures.append(String(decoding: message, as: UTF8.self))
            }
        }
        if reply == nil { break }
    }
}

// Never read: 50 connections with 4 KiB receive buffers pipeline calls with large replies
// and never read one; every 2 s one of them closes and another takes its place.
let nonReaders = 50
running.add(1, ordering: .relaxed)
spawn {
    defer { running.subtract(1, ordering: .relaxed) }
    func open() -> (fd: Int32, offset: Int)? {
        guard let fd = rawConnect(socketPath) else { return nil }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return (fd, 0)
    }
    var held = (0..<nonReaders).compactMap { _ in open() }
    var lastSwap = Date()
    while !counters.stop.load(ordering: .relaxed) {
        var progressed = false
        for index in held.indices {
            let (fd, offset) = held[index]
            let n = bigReplies.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bigReplies.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                held[index].offset = (offset + n) % bigReplies.count
                counters.state.withLock { $0.neverReaderBytesSent += n }
                progressed = true
            }
        }
        if Date().timeIntervalSince(lastSwap) > 2, !held.isEmpty {
            close(held.removeFirst().fd)
            if let fresh = open() { held.append(fresh) }
            lastSwap = Date()
        }
        if !progressed { usleep(100_000) }
    }
    for (fd, _) in held { close(fd) }
}

// Another uid (65534) doing cached Lookups all along, from a copy of this binary that uid may run.
let probeCopy = directory.appendingPathComponent("mailsrvsoak-probe")
try FileManager.default.copyItem(at: binaries.appendingPathComponent("mailsrvsoak"), to: probeCopy)
let latencyProbeProcess = Process()
latencyProbeProcess.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
latencyProbeProcess.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", probeCopy.path,
                                 "--latency-probe", socketPath, String(max(seconds - 2, 1))]
let latencyPipe = Pipe()
latencyProbeProcess.standardOutput = latencyPipe
try latencyProbeProcess.run()

// Opens connections until one is refused, and holds them; then uid 65534 must be served.
let opener = Thread {
    var held: [Int32] = []
    while !counters.stop.load(ordering: .relaxed), held.count < perUserLimit + 100 {
        guard let fd = rawConnect(socketPath) else { break }
        // A refused connection gets TooManyRequests, then the end of the stream.
        _ = sendAll(fd, Array(#"{"method":"io.mailsrvd.Discovery.Stats"}"#.utf8) + [0])
        // Under load a reply may take seconds.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var events = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !received.contains(0), poll(&events, 1, 60_000) > 0 {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            received += buffer[..<n]
        }
        guard let reply = try? VarlinkReply(message: received.split(separator: 0).first ?? []) else { close(fd); break }
        if let error = reply.error {
            close(fd)
            counters.state.withLock { $0.refused = true; $0.refusedWith = error }
            break
        }
        held.append(fd)
        counters.state.withLock { $0.opened = held.count }
    }
    while !counters.stop.load(ordering: .relaxed) { usleep(50_000) }
    for fd in held { close(fd) }
}
opener.stackSize = 256 * 1024
opener.start()

while !counters.state.withLock({ $0.refused }), Date() < floodDeadline { usleep(50_000) }
var probeOutput = ""
var probeServed = false
if counters.state.withLock({ $0.refused }) {
    // socat as uid 65534: this binary may sit where that uid cannot execute it.
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    probe.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups",
                       "/usr/bin/socat", "-t", "10", "-", "UNIX-CONNECT:\(socketPath)"]
    let pipe = Pipe(), input = Pipe()
    probe.standardOutput = pipe
    probe.standardInput = input
    try probe.run()
    input.fileHandleForWriting.write(Data(call("probe")))
    try input.fileHandleForWriting.close()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    probe.waitUntilExit()
    let message = output.split(separator: 0).first.map { Array($0) } ?? []
    let reply = try? VarlinkReply(message: message)
    probeOutput = String(decoding: message, as: UTF8.self).prefix(120).description
    probeServed = probe.terminationStatus == 0 && reply != nil && reply?.error == nil
        && reply?["domain"]?.stringValue == "example.net"
}

while Date() < floodDeadline { usleep(100_000) }
let latencyOutput = String(decoding: latencyPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
latencyProbeProcess.waitUntilExit()
let latencyFields = latencyOutput.split(separator: " ").dropFirst().compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
let (rssPeak, fdsPeak) = peaks.withLock { $0 }
counters.stop.store(true, ordering: .relaxed)
while running.load(ordering: .relaxed) > 0 { usleep(50_000) }
// Every client closed: the daemon must give back its fds and memory.
var fdsAfter = daemon.fds
let settle = Date() + 15
while fdsAfter > fdsBefore, Date() < settle {
    usleep(100_000)
    fdsAfter = daemon.fds
}
usleep(1_000_000)
fdsAfter = daemon.fds
let rssAfter = daemon.rssKiB
let result = counters.state.withLock { $0 }
let failed = result.failures.count
print("  well-behaved Lookups: \(result.calls) calls, \(failed) failed, max latency \(String(format: "%.3f", result.maxLatency)) s")
for failure in result.failures.prefix(5) where !failure.isEmpty { print("    failure: \(failure)") }
print("  garbage: \(result.garbageConnections) connections, \(result.garbageClosedByDaemon) closed by the daemon")
print("  slow (1 byte / 50 ms): \(result.slowCalls) calls, \(result.slowFailures.count) failed")
print("  opener: \(result.opened) connections held (limit \(perUserLimit) per uid, \(result.connected) well-behaved + hostile), refused after: \(result.refused) (\(result.refusedWith))")
print("  \(nonReaders) non-readers: \(result.neverReaderBytesSent / 1024) KiB of calls taken by the daemon, no reply read")
print("  uid 65534 cached Lookups: \(latencyOutput.trimmingCharacters(in: .whitespacesAndNewlines)) (count failures p50 p99 max, ms)")
print("  uid 65534 while uid 0 at its limit: \(probeServed ? "served" : "NOT served") (\(probeOutput))")
print("  RSS KiB before \(rssBefore), peak \(rssPeak), after \(rssAfter); fds before \(fdsBefore), peak \(fdsPeak), after \(fdsAfter)")
check(failed == 0, "no well-formed Lookup failed")
check(result.slowFailures.isEmpty && result.slowCalls > 0, "the slow client's Lookups were answered")
check(result.refusedWith == DiscoveryInterface.Error.tooManyRequests.qualifiedName,
      "the opener was refused at the per-uid limit with TooManyRequests")
check(probeServed, "another uid is served while uid 0 is at its limit")
check(fdsAfter <= fdsBefore + 2, "fds released (\(fdsBefore) → \(fdsAfter))")
check(result.garbageClosedByDaemon == result.garbageConnections, "every garbage connection was closed by the daemon")
check(result.refusedWith == DiscoveryInterface.Error.tooManyRequests.qualifiedName, "the refused connection got TooManyRequests")
check(rssPeak < 200 * 1024, "peak RSS under 200 MiB (\(rssPeak / 1024) MiB)")
check(latencyFields.count == 5 && latencyFields[0] > 0 && latencyFields[1] == 0, "uid 65534's Lookups were all served")
if let p99Bound {
    check(latencyFields.count == 5 && latencyFields[3] < p99Bound, "uid 65534's cached Lookup p99 under \(Int(p99Bound)) ms")
}

// MARK: Phase 2: kill -9 during a flood

print("phase 2: kill -9 during a flood, restart")
let holder = try VarlinkClient.connect(to: socketPath, timeout: .seconds(10))
let pinned = try holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "pin@example.net", "want": "imaps"])
check(pinned.error == nil, "a pin was acquired")
let phase2 = Counters()
let phase2Clients = min(100, connections)
let restartedAt = Mutex<Date?>(nil)
let reconnectedAfter = Mutex<[Int: Date]>([:])
for index in 0..<phase2Clients {
    running.add(1, ordering: .relaxed)
    spawn {
        defer { running.subtract(1, ordering: .relaxed) }
        var client: VarlinkClient?
        var round = index
        while !phase2.stop.load(ordering: .relaxed) {
            if client == nil { client = try? VarlinkClient.connect(to: socketPath, timeout: .seconds(10)) }
            guard let connected = client else { usleep(20_000); continue }
            let (email, want, _) = emails[round % emails.count]
            do {
                let reply = try connected.call(lookup, ["email": .string(email), "want": .string(want)])
                phase2.state.withLock { state in
                    state.calls += 1
                    if let error = reply.error { state.failures.append(error) }
                }
                if let restarted = restartedAt.withLock({ $0 }), Date() > restarted {
                    reconnectedAfter.withLock { if $0[index] == nil { $0[index] = Date() } }
                }
            } catch {
                connected.close()
                client = nil   // the daemon went away: reconnect
            }
            round += 1
            usleep(10_000)
        }
        client?.close()
    }
}
usleep(1_500_000)   // a periodic save (SaveInterval=1s) under load
kill(daemon.pid, SIGKILL)
daemon.process.waitUntilExit()
let killedAt = Date()
daemon = try Daemon()
restartedAt.withLock { $0 = Date() }
let restartTime = Date().timeIntervalSince(killedAt)
let reconnectDeadline = Date() + 20
while reconnectedAfter.withLock({ $0.count }) < phase2Clients, Date() < reconnectDeadline { usleep(50_000) }
let allBack = Date().timeIntervalSince(killedAt)
phase2.stop.store(true, ordering: .relaxed)
while running.load(ordering: .relaxed) > 0 { usleep(50_000) }
let after = try VarlinkClient.connect(to: socketPath, timeout: .seconds(10))
    .call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "other@example.net", "want": "imaps"])
let phase2Result = phase2.state.withLock { $0 }
print("  restarted in \(String(format: "%.2f", restartTime)) s; \(reconnectedAfter.withLock { $0.count }) of \(phase2Clients) clients served again \(String(format: "%.2f", allBack)) s after the kill")
print("  \(phase2Result.calls) calls answered, \(phase2Result.failures.count) error replies")
check(reconnectedAfter.withLock { $0.count } == phase2Clients, "every client reconnected and was served")
check(phase2Result.failures.isEmpty, "no answered call was an error")
// The endpoint's ttl counts down (issue 11, finding 6): the pin is its host, port and address.
check(after["reused"] == true && after["endpoint"]?["host"] == pinned["endpoint"]?["host"]
        && after["endpoint"]?["port"] == pinned["endpoint"]?["port"] && after["address"] == pinned["address"],
      "the pin was restored after kill -9")

kill(daemon.pid, SIGTERM)
daemon.process.waitUntilExit()
await knot.stop()
if problems.isEmpty {
    try? FileManager.default.removeItem(at: directory)
    print("mailsrvsoak: passed")
    exit(0)
} else {
    print("mailsrvsoak: FAILED (\(problems.count)); daemon log in \(directory.path)/mailsrvd.log")
    exit(1)
}
