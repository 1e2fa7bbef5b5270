import Foundation
import TestSupport

/// A server that misbehaves on every connection (`Scripts/hostile_server.py`): a greeting
/// that is none, a line without end, a TLS alert, or silence; or a slow one: a proxy to a
/// real server that delays every chunk each way (`Scripts/slow_proxy.py`). Call `stop()` when done.
public final class HostileServer: Sendable {
    public enum Mode: Sendable {
        case garbage, endless, tlsalert, silent
        /// Forwards to `address`:`port`, each chunk `delay` late in each direction.
        case slow(address: String, port: UInt16, delay: Duration)
    }

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
        let port = try FreePort.pick(address: address)
        let arguments: [String]
        switch mode {
        case .slow(let target, let targetPort, let delay):
            let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            arguments = [try script("slow_proxy"), address, "\(port)", target, "\(targetPort)", "\(milliseconds)"]
        default:
            arguments = [try script("hostile_server"), "\(mode)", address, "\(port)"]
        }
        let directory = try makeTemporaryDirectory("hostile")
        let server = try ServerProcess(try await Python.executable(), Python.standardLibraryOnly + arguments, directory: directory)
        do {
            try await server.waitUntil("the hostile server on \(address)") { server.log.contains("READY") }
        } catch {
            await server.stop()
            throw error
        }
        return HostileServer(address: address, port: port, server: server)
    }

    private static func script(_ name: String) throws -> String {
        guard let script = Bundle.module.url(forResource: name, withExtension: "py", subdirectory: "Scripts") else {
            throw MailHarnessError("Scripts/\(name).py not found in \(Bundle.module.bundlePath)")
        }
        return script.path
    }

    /// Stops it. Idempotent.
    public func stop() async { await server.stop() }
}
