import Foundation
import TestSupport

/// A server that misbehaves on every connection (`Scripts/hostile_server.py`): a greeting
/// that is none, a line without end, a TLS alert, or silence. Call `stop()` when done.
public final class HostileServer: Sendable {
    public enum Mode: String, Sendable { case garbage, endless, tlsalert, silent }

    public let address: String
    public let port: UInt16
    private let server: ServerProcess

    private init(address: String, port: UInt16, server: ServerProcess) {
        self.address = address
        self.port = port
        self.server = server
    }

    /// Starts it on `address` and a free port, and waits until it listens.
    public static func start(_ mode: Mode, address: String) async throws -> HostileServer {
        guard let script = Bundle.module.url(forResource: "hostile_server", withExtension: "py", subdirectory: "Scripts") else {
            throw MailHarnessError("Scripts/hostile_server.py not found in \(Bundle.module.bundlePath)")
        }
        let directory = try makeTemporaryDirectory("hostile")
        let port = try FreePort.pick(address: address)
        let server = try ServerProcess("/usr/bin/env", ["python3", script.path, mode.rawValue, address, "\(port)"],
                                       directory: directory)
        do {
            try await server.waitUntil("the hostile server on \(address)") { server.log.contains("READY") }
        } catch {
            await server.stop()
            throw error
        }
        return HostileServer(address: address, port: port, server: server)
    }

    /// Stops it. Idempotent.
    public func stop() async { await server.stop() }
}
