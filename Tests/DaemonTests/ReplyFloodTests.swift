import Foundation
import MailSRVInterface
import Testing
import Varlink

/// Regression for issue 11, finding 1: clients that pipeline calls with large replies and
/// never read them made the daemon buffer every reply (1 GiB for 50 connections), and it
/// answered every call left in a connection's buffers after the client had gone.
@Suite(.timeLimit(.minutes(2))) struct ReplyFloodTests {
    static let describe = Array(#"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.mailsrvd.Discovery"}}"#.utf8) + [0]
    static let lookup = Array(#"{"method":"io.mailsrvd.Discovery.Lookup","parameters":{"email":"n@example.net","want":"retrieval"}}"#.utf8) + [0]

    @Test func clientsThatNeverReadHoldBoundedMemoryAndWhatTheyLeaveIsNotAnswered() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder, logLevel: "notice")
        // Generous: the daemon (a debug build) may share a loaded machine.
        let control = try await DaemonConnection(socket: daemon.socket, timeout: .seconds(60))
        func stats() async throws -> (clients: Int, hits: Int) {
            let reply = try await control.call(DiscoveryInterface.Method.stats.qualifiedName)
            return (reply["clients"]?.intValue ?? -1, reply["cacheHits"]?.intValue ?? -1)
        }
        await #expect(try control.call(DiscoveryInterface.Method.lookup.qualifiedName,
                                 ["email": "warm@example.net", "want": "retrieval"]).error == nil)
        let figures = ProcessFigures(pid: daemon.process.processIdentifier)
        let rssBefore = figures.rssKiB

        // 20 connections, each with a 4 KiB receive buffer, each pipelining ~110 KB of calls
        // (3.7 KB replies to GetInterfaceDescription, cached Lookups) as fast as the socket
        // takes them: ~2,500 calls whose replies would be ~5 MB. Twenty show what forty did
        // (the bounds below are per connection) for half the daemon's CPU.
        let count = 20
        let batch = Array([[UInt8]](repeating: Self.describe + Self.lookup, count: 270).joined())
        let clients = try (0..<count).map { _ in try NonReadingClient(daemon.socket) }
        for _ in 0..<2 {
            for client in clients { client.send(batch, once: true) }
        }
        try await Task.sleep(for: .seconds(2))
        let taken = clients.map(\.sent).reduce(0, +)
        let rssHeld = figures.rssKiB
        print("\(count) non-reading clients: \(taken / 1024) KiB of calls sent; daemon RSS \(rssBefore) → \(rssHeld) KiB")
        // Each holds at most one read of calls, 64 KiB of replies and a few in flight:
        // ~0.5 MiB each. Before the fix: every call read was answered, ~5 MiB each.
        #expect(rssHeld - rssBefore < count * 1024, "RSS grew by \((rssHeld - rssBefore) / 1024) MiB")

        // Another uid is served meanwhile (the machine may be loaded: a generous 30 s).
        let replies = try await callAsNobody(socket: daemon.socket, [String(decoding: Self.lookup.dropLast(), as: UTF8.self)],
                                             seconds: 30)
        #expect(replies.first?["error"] == nil && replies.first?["parameters"]?.objectValue?["domain"] == "example.net")

        // They go away: what they sent and the daemon had not taken is never answered.
        let hitsBefore = try await stats().hits
        for client in clients { client.close() }
        let closing = ContinuousClock.now
        while try await stats().clients > 1, ContinuousClock.now - closing < .seconds(30) {
            try await Task.sleep(for: .milliseconds(50))
        }
        await #expect(try stats().clients == 1)
        let answeredAfterClose = try await stats().hits - hitsBefore
        print("cached Lookups answered after the clients closed: \(answeredAfterClose)")
        // At most the calls each had in flight; before the fix, thousands per connection.
        #expect(answeredAfterClose <= count * 17, "\(answeredAfterClose) Lookups of closed connections answered")
        await daemon.stop()
    }
}

/// A connection with a small receive buffer that sends without blocking and never reads.
private final class NonReadingClient {
    private var descriptor: Int32
    private var offset = 0
    private(set) var sent = 0

    init(_ path: String) throws {
        descriptor = try connectUnixSocket(path)
        var small: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Sends as much of the endless repetition of `batch` (or, `once`, of the rest of this
    /// repetition) as the socket takes now; returns the bytes.
    @discardableResult
    func send(_ batch: [UInt8], once: Bool = false) -> Int {
        var total = 0
        while descriptor >= 0 {
            if once && total > 0 && offset == 0 { break }
            let count = batch.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, batch.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            offset = (offset + count) % batch.count
            total += count
        }
        sent += total
        return total
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}
