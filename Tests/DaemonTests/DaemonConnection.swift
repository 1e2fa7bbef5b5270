import Foundation
import TestSupport
import Varlink

/// A test's connection to the daemon: `VarlinkClient`'s blocking calls, each made on a
/// thread of its own.
///
/// A test that blocked a thread of the concurrency pool while the daemon worked on a slow
/// reply (a DNS timeout, a flood) held one of its only two threads on a 2-core machine:
/// every other test of the process waited behind it.
final class DaemonConnection: @unchecked Sendable {
    private let client: VarlinkClient

    /// Connects to the daemon listening at `socket`; each step may wait `timeout`.
    init(socket: String, timeout: Duration = .seconds(15)) async throws {
        nonisolated(unsafe) var connected: VarlinkClient?
        try await onOwnThread { connected = try VarlinkClient.connect(to: socket, timeout: timeout) }
        client = connected!
    }

    private init(client: VarlinkClient) {
        self.client = client
    }

    /// Connects and calls `method` at once, on one thread, for a test that expects to be
    /// refused: the daemon answers a connection over a uid's limit with TooManyRequests
    /// and closes it 0.5 s later, so a first call made later would find it closed.
    static func connectAndCall(socket: String, _ method: String) async throws -> (DaemonConnection, VarlinkReply) {
        nonisolated(unsafe) var opened: (VarlinkClient, VarlinkReply)?
        try await onOwnThread {
            let client = try VarlinkClient.connect(to: socket, timeout: .seconds(15))
            opened = (client, try client.call(method))
        }
        return (DaemonConnection(client: opened!.0), opened!.1)
    }

    /// Calls `method` and waits for its reply (an error reply is returned, not thrown).
    func call(_ method: String, _ parameters: JSONObject = [:]) async throws -> VarlinkReply {
        try await onOwnThread { try self.client.call(method, parameters) }
    }

    /// Closes the connection.
    func close() { client.close() }
}
