import Foundation
import Glibc
import KnotHarness
import MailSRVInterface
import Synchronization
import Testing
import Varlink

/// Bad input on one connection gets the protocol's error (or the connection is cut),
/// while a well-behaved client on another connection keeps being served.
@Suite(.timeLimit(.minutes(1))) struct HostileInputTests {
    @Test func garbageBytesGetInvalidParameterMessageThenTheConnectionCloses() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let connection = try RawConnection(daemon.socket)
            connection.send("this is not JSON\0")
            let reply = try #require(connection.nextReply())
            #expect(reply.error == VarlinkError.Name.invalidParameter)
            #expect(reply["parameter"] == "message")
            #expect(connection.isClosedByPeer())
        }
    }

    @Test func aJSONArrayGetsInvalidParameterMessageThenTheConnectionCloses() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let connection = try RawConnection(daemon.socket)
            connection.send(#"[{"method": "io.mailsrvd.Discovery.Stats"}]"# + "\0")
            let reply = try #require(connection.nextReply())
            #expect(reply.error == VarlinkError.Name.invalidParameter)
            #expect(reply["parameter"] == "message")
            #expect(connection.isClosedByPeer())
        }
    }

    @Test func aCallOver64KiBIsRefusedAndTheDaemonServesOn() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let connection = try RawConnection(daemon.socket)
            let huge = String(repeating: "x", count: 70 * 1024)
            connection.send(VarlinkCall(method: DiscoveryInterface.Method.lookup.qualifiedName,
                                        parameters: ["email": .string("a@\(huge).net")]).serialized() + "\0")
            // Either an InvalidParameter reply before the close, or just the close.
            if let reply = connection.nextReply() {
                #expect(reply.error == VarlinkError.Name.invalidParameter)
                #expect(reply["parameter"] == "message")
            }
            #expect(connection.isClosedByPeer())
            let after = try await daemon.call(.lookup, ["email": "a@example.net"])
            #expect(after.error == nil)
            #expect(after["domain"] == "example.net")
        }
    }

    @Test func wrongParameterTypesNameTheField() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let client = try await daemon.connect()
            let cases: [(DiscoveryInterface.Method, JSONObject, field: String)] = [
                (.lookup, ["email": 42], "email"),
                (.lookup, ["email": "a@example.net", "want": 7], "want"),
                (.lookup, ["email": "a@example.net", "clientHost": ["x"]], "clientHost"),
                (.lookup, ["email": "a@example.net", "resolve": "yes"], "resolve"),
                (.acquire, ["email": ["a@example.net"]], "email"),
                (.report, ["lease": 1, "outcome": "failed"], "lease"),
                (.report, ["lease": "0123", "outcome": true], "outcome"),
                (.release, ["lease": .null], "lease"),
                (.flush, ["domain": 3], "domain"),
            ]
            for (method, parameters, field) in cases {
                let reply = try await client.call(method.qualifiedName, parameters)
                #expect(reply.error == VarlinkError.Name.invalidParameter, "\(method) \(parameters)")
                #expect(reply["parameter"] == .string(field), "\(method) \(parameters)")
            }
            // Not an object where the call's parameters go: the connection goes on.
            let connection = try RawConnection(daemon.socket)
            connection.send(#"{"method": "io.mailsrvd.Discovery.Stats", "parameters": [1]}"# + "\0")
            let reply = try #require(connection.nextReply())
            #expect(reply.error == VarlinkError.Name.invalidParameter)
            #expect(reply["parameter"] == "parameters")
            connection.send(#"{"method": "io.mailsrvd.Discovery.Stats"}"# + "\0")
            #expect(connection.nextReply()?.error == nil)
        }
    }

    @Test func anUnknownMethodIsMethodNotFound() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let client = try await daemon.connect()
            let reply = try await client.call("io.mailsrvd.Discovery.DropTables", ["email": "a@example.net"])
            #expect(reply.error == VarlinkError.Name.methodNotFound)
            #expect(reply["method"] == "io.mailsrvd.Discovery.DropTables")
            // The connection is still usable.
            await #expect(try client.call(DiscoveryInterface.Method.stats.qualifiedName).error == nil)
        }
    }

    @Test func halfAMessageIsCutOffAfterTheIdleTimeoutButAnIdleConnectionIsNot() async throws {
        try await whileAWellBehavedClientLooksUp(config: "[Discovery]\nIdleTimeout=1s\n") { daemon in
            let idle = try await daemon.connect()
            await #expect(try idle.call(DiscoveryInterface.Method.stats.qualifiedName).error == nil)
            let half = try RawConnection(daemon.socket)
            let started = ContinuousClock.now
            half.send(#"{"method": "io.mailsrvd.Discovery.Sta"#)
            #expect(half.isClosedByPeer(within: .seconds(5)))
            let cutAfter = ContinuousClock.now - started
            #expect(cutAfter >= .milliseconds(900) && cutAfter < .seconds(5), "cut after \(cutAfter)")
            // Idle between messages for longer than the timeout: still served.
            try await Task.sleep(for: .milliseconds(500))
            let reply = try await idle.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"])
            #expect(reply.error == nil)
            #expect(reply["domain"] == "example.net")
        }
    }

    @Test func aFourthConnectionOfOneUidIsRefusedWhileItsThreeWork() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                             config: "[Discovery]\nMaxConnectionsPerUser=3\n")
        // The daemon counts a closed connection (such as the one that saw it start) when it
        // notices the close: wait until only our first one is counted.
        let first = try await daemon.connect()
        try await waitUntil { try await first.call(DiscoveryInterface.Method.stats.qualifiedName)["clients"] == 1 }
        let open = await [first, try daemon.connect(), try daemon.connect()]
        for client in open {
            await #expect(try client.call(DiscoveryInterface.Method.stats.qualifiedName).error == nil)
        }
        // The fourth gets TooManyRequests (DESIGN.md §5), then the end of the stream.
        let fourth = try RawConnection(daemon.socket)
        fourth.send(#"{"method": "io.mailsrvd.Discovery.Stats"}"# + "\0")
        #expect(fourth.nextReply()?.errorName == "TooManyRequests")
        #expect(fourth.isClosedByPeer())
        for client in open {
            let reply = try await client.call(DiscoveryInterface.Method.stats.qualifiedName)
            #expect(reply["clients"] == 3)
        }
        // A closed connection frees its place.
        open[0].close()
        try await waitUntil { try await open[1].call(DiscoveryInterface.Method.stats.qualifiedName)["clients"] == 2 }
        await #expect(try daemon.connect().call(DiscoveryInterface.Method.stats.qualifiedName).error == nil)
        await daemon.stop()
    }

    @Test func pipelinedCallsAreAnsweredInCallOrder() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let connection = try RawConnection(daemon.socket)
            // The first needs DNS (slow); the others are answered at once.
            let calls = [
                VarlinkCall(method: DiscoveryInterface.Method.lookup.qualifiedName,
                            parameters: ["email": "a@regional.example.net"]),
                VarlinkCall(method: "org.varlink.service.GetInfo"),
                VarlinkCall(method: DiscoveryInterface.Method.lookup.qualifiedName, parameters: ["email": "not an address"]),
                VarlinkCall(method: DiscoveryInterface.Method.listLeases.qualifiedName),
                VarlinkCall(method: "io.mailsrvd.Discovery.Nope"),
            ]
            connection.send(calls.map { $0.serialized() + "\0" }.joined())
            let replies = (0..<calls.count).compactMap { _ in connection.nextReply() }
            #expect(replies.count == calls.count)
            guard replies.count == calls.count else { return }
            #expect(replies[0].error == nil)
            #expect(replies[0]["domain"] == "regional.example.net")
            #expect(replies[1]["product"] == "mailsrvd")
            #expect(replies[2].errorName == "InvalidAddress")
            #expect(replies[2]["email"] == "not an address")
            #expect(replies[3].parameters == ["leases": []])
            #expect(replies[4].error == VarlinkError.Name.methodNotFound)
        }
    }

    @Test func aOnewayCallGetsNoReply() async throws {
        try await whileAWellBehavedClientLooksUp { daemon in
            let connection = try RawConnection(daemon.socket)
            let oneway = VarlinkCall(method: DiscoveryInterface.Method.lookup.qualifiedName,
                                     parameters: ["email": "a@example.net"], oneway: true)
            let stats = VarlinkCall(method: DiscoveryInterface.Method.stats.qualifiedName)
            connection.send(oneway.serialized() + "\0" + stats.serialized() + "\0")
            let first = try #require(connection.nextReply())
            #expect(first["uptimeSeconds"] != nil, "the first reply is the Stats call's: \(first)")
            #expect(connection.nextReply(within: .milliseconds(500)) == nil)
            #expect(!connection.isClosedByPeer(within: .milliseconds(10)))
            // The oneway call did run: it filled the cache.
            await #expect(try daemon.call(.lookup, ["email": "a@example.net"])["source"] == "cache")
        }
    }

    // MARK: Helpers

    /// Polls `condition` for up to two seconds; records an issue when it never holds.
    private func waitUntil(sourceLocation: SourceLocation = #_sourceLocation,
                           _ condition: () async throws -> Bool) async throws {
        if try await !eventually(within: 2, condition) {
            Issue.record("condition never held", sourceLocation: sourceLocation)
        }
    }

    /// Starts a daemon, runs `abuse` while another connection does Lookups in a loop,
    /// then checks that every one of those Lookups succeeded.
    private func whileAWellBehavedClientLooksUp(config: String? = nil,
                                                _ abuse: (DaemonProcess) async throws -> Void) async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder, config: config)
        let bystander = try WellBehavedClient(socket: daemon.socket)
        do {
            try await abuse(daemon)
        } catch {
            Issue.record(error)
        }
        let (succeeded, failures) = await bystander.finish()
        #expect(succeeded > 0)
        #expect(failures == [], "the well-behaved client's calls failed")
        await daemon.stop()
    }
}

/// A client doing `Lookup`s on one connection in a loop, on a thread of its own (its
/// calls block), until `finish()`.
private final class WellBehavedClient: Sendable {
    private struct State {
        var stop = false
        var done = false
        var succeeded = 0
        var failures: [String] = []
    }

    private let state = Mutex(State())

    init(socket: String) throws {
        let client = try VarlinkClient.connect(to: socket, timeout: .seconds(10))
        nonisolated(unsafe) let owned = client
        Thread.detachNewThread { [self] in
            while !self.state.withLock({ $0.stop }) {
                let failure: String?
                do {
                    let reply = try owned.call(DiscoveryInterface.Method.lookup.qualifiedName,
                                               ["email": "bystander@example.net", "want": "imaps"])
                    let ok = reply.error == nil && reply["domain"] == "example.net"
                        && reply["candidates"]?.arrayValue?.count == 3
                    failure = ok ? nil : "\(reply)"
                } catch {
                    failure = "\(error)"
                }
                self.state.withLock { state in
                    if let failure { state.failures.append(failure) } else { state.succeeded += 1 }
                }
                if failure != nil { break }
                usleep(5_000)
            }
            owned.close()
            self.state.withLock { $0.done = true }
        }
    }

    /// Stops the loop once a Lookup has ended (at most 30 s: an abuse can end before the
    /// first one, which asks DNS); returns how many Lookups succeeded, and the failures.
    func finish() async -> (succeeded: Int, failures: [String]) {
        let deadline = ContinuousClock.now + .seconds(30)
        while state.withLock({ $0.succeeded + $0.failures.count == 0 && !$0.done }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        state.withLock { $0.stop = true }
        while !state.withLock({ $0.done }) { try? await Task.sleep(for: .milliseconds(5)) }
        return state.withLock { ($0.succeeded, $0.failures) }
    }
}

/// A connection for raw bytes: what VarlinkClient would never send.
private final class RawConnection {
    private let descriptor: Int32
    private var received: [UInt8] = []
    private var peerClosed = false

    init(_ path: String) throws {
        descriptor = try connectUnixSocket(path)
    }

    deinit { close(descriptor) }

    /// Sends `text` in one write (as far as the kernel takes it); a closed peer is not an error.
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return }
            sent += result
        }
    }

    /// The next reply; nil when the peer closed or nothing came `within`.
    func nextReply(within timeout: Duration = .seconds(5)) -> VarlinkReply? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let nul = received.firstIndex(of: 0) {
                let message = received[..<nul]
                received.removeSubrange(...nul)
                do {
                    return try VarlinkReply(message: message)
                } catch {
                    Issue.record("not a Varlink reply: \(String(decoding: message, as: UTF8.self))")
                    return nil
                }
            }
            guard !peerClosed, receive(until: deadline) else { return nil }
        }
    }

    /// Whether the peer closes the connection `within` the time (bytes before are dropped).
    func isClosedByPeer(within timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !peerClosed {
            guard receive(until: deadline) else { return false }
        }
        received.removeAll()
        return true
    }

    /// Waits for bytes or the end of the stream until `deadline`; false when none came.
    private func receive(until deadline: ContinuousClock.Instant) -> Bool {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return false }
        var events = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&events, 1, max(milliseconds, 1))
        if ready < 0 && errno == EINTR { return true }
        guard ready > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count > 0 {
            received += buffer[..<count]
        } else if count == 0 || errno == ECONNRESET {
            peerClosed = true
        }
        return true
    }
}
