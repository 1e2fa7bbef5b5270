import Foundation
import MailSRVInterface
import Varlink

extension Soak {
    /// Phase 1: the well-behaved connections and the hostile clients at once, while
    /// uid 65534 does cached Lookups; then every client closes and the daemon must give
    /// its fds and memory back.
    func flood(_ daemon: SoakDaemon, _ checks: inout Checks) throws {
        let socketPath = setup.socketPath, connections = options.connections, seconds = options.seconds
        // Warm up the cache (and the daemon's allocator) before the baseline.
        do {
            let client = try VarlinkClient.connect(to: socketPath, timeout: .seconds(10))
            for index in 0..<Lookups.emails.count * 3 { _ = Lookups.wellFormed(client, index) }
            for (email, method) in [("big@wide.test", DiscoveryInterface.Method.lookup), ("big@many.test", .acquire)] {
                let reply = try client.call(method.qualifiedName, ["email": .string(email), "want": "imaps"])
                if let error = reply.error { throw SoakError("\(method.qualifiedName) \(email): \(error)") }
                say("  \(email): \(reply.encoded().count) bytes of reply")
            }
            client.close()
        }
        usleep(500_000)
        let rssBefore = daemon.rssKiB, fdsBefore = daemon.fds
        say("mailsrvsoak: \(connections) connections, \(Int(seconds)) s, pid \(daemon.pid), knot \(setup.forwarder)")
        say("phase 1: flood with hostile clients")
        say("  before: RSS \(rssBefore) KiB, \(fdsBefore) fds")

        let counters = Counters()
        let workers = Workers()
        // Peak RSS and fds of the daemon, sampled every 200 ms during phase 1.
        let sample = SoakDaemon.Sample(pid: daemon.pid)
        Thread {
            while !counters.stop.load(ordering: .relaxed) {
                let (rss, fds) = (sample.rssKiB, sample.fds)
                counters.peaks.withLock { $0 = (max($0.0, rss), max($0.1, fds)) }
                usleep(200_000)
            }
        }.start()
        let start = Date()
        for index in 0..<connections {
            workers.spawn { Self.wellBehaved(socketPath, index, counters) }
        }
        while counters.state.withLock({ $0.connected + $0.failures.count }) < connections, Date() < start + 120 {
            usleep(50_000)
        }
        let floodDeadline = Date() + seconds
        say("  \(counters.state.withLock { $0.connected }) well-behaved connections open after \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        workers.spawn { Self.garbage(socketPath, counters) }
        workers.spawn { Self.slow(socketPath, counters) }
        workers.spawn { Self.nonReaders(socketPath, counters) }
        let latencyProbe = try startLatencyProbe()
        let perUserLimit = setup.perUserLimit
        let opener = Thread { Self.opener(socketPath, perUserLimit, counters) }
        opener.stackSize = 256 * 1024
        opener.start()

        while !counters.state.withLock({ $0.refused }), Date() < floodDeadline { usleep(50_000) }
        var probe = (served: false, output: "")
        if counters.state.withLock({ $0.refused }) { probe = try otherUidServed() }

        while Date() < floodDeadline { usleep(100_000) }
        let latencyOutput = String(decoding: latencyProbe.pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        latencyProbe.process.waitUntilExit()
        let latencyFields = latencyOutput.split(separator: " ").dropFirst().compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let (rssPeak, fdsPeak) = counters.peaks.withLock { $0 }
        counters.stop.store(true, ordering: .relaxed)
        workers.waitForAll()
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
        say("  well-behaved Lookups: \(result.calls) calls, \(failed) failed, max latency \(String(format: "%.3f", result.maxLatency)) s")
        for failure in result.failures.prefix(5) where !failure.isEmpty { say("    failure: \(failure)") }
        say("  garbage: \(result.garbageConnections) connections, \(result.garbageClosedByDaemon) closed by the daemon")
        say("  slow (1 byte / 50 ms): \(result.slowCalls) calls, \(result.slowFailures.count) failed")
        say("  opener: \(result.opened) connections held (limit \(perUserLimit) per uid, \(result.connected) well-behaved + hostile), refused after: \(result.refused) (\(result.refusedWith))")
        say("  \(Self.nonReaderCount) non-readers: \(result.neverReaderBytesSent / 1024) KiB of calls taken by the daemon, no reply read")
        say("  uid 65534 cached Lookups: \(latencyOutput.trimmingCharacters(in: .whitespacesAndNewlines)) (count failures p50 p99 max, ms)")
        say("  uid 65534 while uid 0 at its limit: \(probe.served ? "served" : "NOT served") (\(probe.output))")
        say("  RSS KiB before \(rssBefore), peak \(rssPeak), after \(rssAfter); fds before \(fdsBefore), peak \(fdsPeak), after \(fdsAfter)")
        checks.check(failed == 0, "no well-formed Lookup failed")
        checks.check(result.slowFailures.isEmpty && result.slowCalls > 0, "the slow client's Lookups were answered")
        checks.check(result.refusedWith == DiscoveryInterface.Error.tooManyRequests.qualifiedName,
                     "the opener was refused at the per-uid limit with TooManyRequests")
        checks.check(probe.served, "another uid is served while uid 0 is at its limit")
        checks.check(fdsAfter <= fdsBefore + 2, "fds released (\(fdsBefore) → \(fdsAfter))")
        checks.check(result.garbageClosedByDaemon == result.garbageConnections, "every garbage connection was closed by the daemon")
        checks.check(result.refusedWith == DiscoveryInterface.Error.tooManyRequests.qualifiedName, "the refused connection got TooManyRequests")
        checks.check(rssPeak < 200 * 1024, "peak RSS under 200 MiB (\(rssPeak / 1024) MiB)")
        checks.check(latencyFields.count == 5 && latencyFields[0] > 0 && latencyFields[1] == 0, "uid 65534's Lookups were all served")
        if let p99Bound = options.p99Bound {
            checks.check(latencyFields.count == 5 && latencyFields[3] < p99Bound, "uid 65534's cached Lookup p99 under \(Int(p99Bound)) ms")
        }
    }

    /// A well-behaved connection: Lookups in a loop, each checked, about 1,700 a second
    /// from 1,000 clients, until the phase ends or one fails.
    private static func wellBehaved(_ socketPath: String, _ index: Int, _ counters: Counters) {
        guard let client = try? VarlinkClient.connect(to: socketPath, timeout: .seconds(60)) else {
            counters.state.withLock { $0.failures.append("connect \(index) failed") }
            return
        }
        counters.state.withLock { $0.connected += 1 }
        var round = index
        while !counters.stop.load(ordering: .relaxed) {
            let began = Date()
            let failure = Lookups.wellFormed(client, round)
            let latency = Date().timeIntervalSince(began)
            counters.state.withLock { state in
                state.calls += 1
                state.maxLatency = max(state.maxLatency, latency)
                if let failure, state.failures.count < 20 { state.failures.append(failure) }
                else if failure != nil { state.failures.append("") }
            }
            if failure != nil { break }
            round += 1
            usleep(UInt32.random(in: 200_000...1_000_000))
        }
        client.close()
    }

    /// Garbage: random bytes, broken JSON, NULs, on one connection after another.
    private static func garbage(_ socketPath: String, _ counters: Counters) {
        let shapes: [[UInt8]] = [Array("{\"method\":".utf8) + [0], Array("[1,2]\0".utf8), [0xFF, 0xFE, 0, 0, 0x7B],
                                 Array(repeating: 0x7B, count: 70_000), Array("{\"method\":\"x\"}\0\u{1}\u{2}garbage\0".utf8)]
        var round = 0
        while !counters.stop.load(ordering: .relaxed) {
            guard let fd = RawSocket.connect(socketPath) else { usleep(10_000); continue }
            var bytes = round % 2 == 0 ? shapes[round / 2 % shapes.count] : (0..<Int.random(in: 1...4096)).map { _ in UInt8.random(in: 0...255) }
            if round % 3 == 0 { bytes.append(0) }
            _ = RawSocket.sendAll(fd, bytes)
            let (_, closed) = RawSocket.drain(fd, timeout: 30)   // the partial-message timeout is 10 s; the flood may stall it
            close(fd)
            counters.state.withLock {
                $0.garbageConnections += 1
                if closed { $0.garbageClosedByDaemon += 1 }
            }
            round += 1
        }
    }

    /// Slow: well-formed Lookups, one byte every 50 ms.
    private static func slow(_ socketPath: String, _ counters: Counters) {
        guard let fd = RawSocket.connect(socketPath) else { return }
        defer { close(fd) }
        while !counters.stop.load(ordering: .relaxed) {
            for byte in Lookups.message("slow") {
                guard RawSocket.sendAll(fd, [byte]) else { break }
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

    static let nonReaderCount = 50

    /// Never read: 50 connections with 4 KiB receive buffers pipeline calls with large
    /// replies and never read one; every 2 s one of them closes and another takes its place.
    private static func nonReaders(_ socketPath: String, _ counters: Counters) {
        func open() -> (fd: Int32, offset: Int)? {
            guard let fd = RawSocket.connect(socketPath) else { return nil }
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            return (fd, 0)
        }
        let bigReplies = Lookups.bigReplies
        var held = (0..<nonReaderCount).compactMap { _ in open() }
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

    /// Opens connections until one is refused, and holds them until the phase ends.
    private static func opener(_ socketPath: String, _ perUserLimit: Int, _ counters: Counters) {
        var held: [Int32] = []
        while !counters.stop.load(ordering: .relaxed), held.count < perUserLimit + 100 {
            guard let fd = RawSocket.connect(socketPath) else { break }
            // A refused connection gets TooManyRequests, then the end of the stream.
            _ = RawSocket.sendAll(fd, Lookups.stats)
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
}
