import Foundation
import Logging
import MailSRVDaemon
import MailSRVInterface
import NIOCore
import NIOPosix
import Testing
import Varlink

/// A new connection is not left in the listening socket's queue behind the connections
/// queued before it (RELIABILITY.md §3a): one wakeup of the event loop accepts them all.
/// With NIO's default of 4 per wakeup, a connection of another uid arriving after a
/// flood's burst waited one event-loop turn per 4 queued connections, seconds under load.
@Suite struct AcceptQueueTests {
    /// Connections queued while the (only) event loop is busy: each asks `Stats` at once.
    /// All are accepted before the loop reads the first call, so every reply counts all of them.
    @Test func everyQueuedConnectionIsAcceptedBeforeAnyCallIsAnswered() async throws {
        try await withDaemon { daemon in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("accept-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let socket = directory.appendingPathComponent("socket").path
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let server = try await SocketServer.start(
                target: .path(socket), service: daemon.service, info: Daemon.info, limits: daemon.engine.limits,
                configuration: DaemonConfiguration(), group: group, logger: Logger(label: "test"))
            let queued = 40

            // The loop runs a task that waits until every connection is queued.
            let busy = await BusyLoop.occupy(group.next())
            let stats = Array(VarlinkCall(DiscoveryInterface.Stats()).serialized().utf8) + [0]
            let clients = try (0..<queued).map { _ in
                let client = try QueuedClient(socket)
                try client.send(stats)
                return client
            }
            busy.release()

            for (index, client) in clients.enumerated() {
                let reply = try VarlinkReply(message: try client.receiveMessage(within: .seconds(30)))
                let counted = try DiscoveryInterface.StatsReply(parameters: reply.parameters).clients
                #expect(counted == queued, "connection \(index) was answered when \(counted) of \(queued) were accepted")
            }
            await server.stopAccepting()
            try await group.shutdownGracefully()
        }
    }
}

/// Keeps an event loop in one task until `release()`.
private final class BusyLoop: Sendable {
    private let gate = DispatchSemaphore(value: 0)

    /// Returns once the loop runs the task.
    static func occupy(_ loop: any EventLoop) async -> BusyLoop {
        let busy = BusyLoop()
        await withCheckedContinuation { (entered: CheckedContinuation<Void, Never>) in
            loop.execute { [gate = busy.gate] in
                entered.resume()
                gate.wait()
            }
        }
        return busy
    }

    func release() { gate.signal() }
}

/// A raw connection to a Unix socket: `connect` returns once the connection is queued,
/// before the server accepts it; `send` does not wait for the server either.
private final class QueuedClient {
    private let descriptor: Int32

    init(_ path: String) throws {
        descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard descriptor >= 0, connected == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw POSIXError(.EIO) }
    }

    /// The next message (without its NUL); throws when none comes within `limit`.
    func receiveMessage(within limit: Duration) throws -> [UInt8] {
        let deadline = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(0) {
            guard ContinuousClock.now < deadline else { throw POSIXError(.ETIMEDOUT) }
            var events = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&events, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { throw POSIXError(.ECONNRESET) }
            received += buffer[..<count]
        }
        return Array(received.prefix { $0 != 0 })
    }
}
