import Foundation
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// Issue 11, finding 3: under a limit of 256 descriptors, 400 connections of one uid made
/// the daemon spin on `accept` (EMFILE), starve every other uid and lose every pin at stop.
@Suite(.timeLimit(.minutes(2))) struct DescriptorLimitTests {
    @Test func fourHundredConnectionsUnderALimitOf256LeaveTheDaemonIdleServingAndItsPinsSafe() async throws {
        let knot = try await SharedKnot.server()
        let config = "[Discovery]\nSaveInterval=1h\n"
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, config: config,
                                             launcher: ["/usr/bin/prlimit", "--nofile=256:256", "--"])
        let holder = try await daemon.connect()
        let pinned = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                     ["email": "pin@example.net", "want": "imaps"])
        #expect(pinned.error == nil)

        // 400 connections of this uid, each asking for Stats: served while the uid is under
        // its limit (a quarter of 256 − 64), refused with TooManyRequests after.
        var served: [Int32] = [], refused = 0, other: [String] = []
        for _ in 0..<400 {
            let connection = try StatsConnection(daemon.socket)
            switch connection.reply() {
            case let reply? where reply.error == nil: served.append(connection.take())
            case let reply? where reply.errorName == "TooManyRequests": refused += 1
            case let reply: other.append("\(String(describing: reply))")
            }
            if !other.isEmpty { break }  // no reply within 30 s: the daemon is stuck
        }
        defer { for descriptor in served { close(descriptor) } }
        #expect(other == [])
        #expect(served.count <= 48 && served.count >= 40, "\(served.count) served")
        #expect(refused == 400 - served.count)

        // Idle while they hold their connections: far from a busy core.
        let figures = ProcessFigures(pid: daemon.process.processIdentifier)
        let before = figures.cpuSeconds
        try await Task.sleep(for: .seconds(3))
        let used = figures.cpuSeconds - before
        #expect(used < 1.0, "the daemon used \(used) s of CPU in 3 s while idle")
        // Another uid is served.
        let replies = try await callAsNobody(socket: daemon.socket, [
            #"{"method":"io.mailsrvd.Discovery.Lookup","parameters":{"email":"n@example.net","want":"imaps"}}"#,
        ])
        #expect(replies.first?["error"] == nil && replies.first?["parameters"]?.objectValue?["domain"] == "example.net")

        // SIGTERM with every connection still open writes the pins: they survive a restart.
        #expect(await daemon.stop() == 0)
        #expect(!daemon.log.contains("cannot write state file"), "\(daemon.log)")
        let restarted = try await DaemonProcess(dnsServer: knot.forwarder, config: config, directory: daemon.directory)
        let after = try await restarted.connect().call(DiscoveryInterface.Method.acquire.qualifiedName,
                                                 ["email": "pin@example.net", "want": "imaps"])
        #expect(after["reused"] == true && after["address"] == pinned["address"])
        await restarted.stop()
    }
}

/// A connection that asks for `Stats` and waits for the reply or the end of the stream.
private struct StatsConnection {
    private let descriptor: Int32

    init(_ path: String) throws {
        descriptor = try connectUnixSocket(path)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let call = Array(#"{"method":"io.mailsrvd.Discovery.Stats"}"#.utf8) + [0]
        _ = call.withUnsafeBytes { send(descriptor, $0.baseAddress!, call.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The reply; nil when the stream ended (or 30 s passed) without one. A connection
    /// without a reply is closed here.
    func reply() -> VarlinkReply? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(0) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        guard let nul = received.firstIndex(of: 0), let reply = try? VarlinkReply(message: received[..<nul]) else {
            close(descriptor)
            return nil
        }
        if reply.error != nil { close(descriptor) }
        return reply
    }

    /// The descriptor of a served connection, to hold open.
    func take() -> Int32 { descriptor }
}
