import Foundation
import TestSupport

/// `bench/delay_relay.py` (the benchmark's delaying UDP relay) in front of a server: every
/// DNS round trip through `forwarder` takes `delay` more. Killed by `stop()`, on deinit,
/// and by itself after 10 minutes at the latest.
public final class DelayRelay: Sendable {
    /// The relay's UDP port on 127.0.0.1.
    public let port: UInt16
    /// `"127.0.0.1@PORT"`, the form `ResolverConfiguration.upstreams` takes.
    public var forwarder: String { "127.0.0.1@\(port)" }
    private let process: Process

    private init(port: UInt16, process: Process) {
        self.port = port
        self.process = process
    }

    /// The relay script of the benchmark, found from this file's place in the package.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../bench/delay_relay.py").standardized.path

    /// Starts a relay to `server` and waits until a query through it is answered.
    public static func start(to server: KnotServer, delay: Duration) async throws -> DelayRelay {
        let port = try FreePort.pick()
        let (seconds, attoseconds) = delay.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "127.0.0.1", "\(port)", server.address, "\(server.port)", "\(milliseconds)", "600"]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        LiveProcesses.shared.add(process.processIdentifier, directory: "")
        let relay = DelayRelay(port: port, process: process)
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let soa = try? await Tool.run("/usr/bin/kdig", ["+short", "+timeout=5", "+retry=0", "@127.0.0.1",
                                                           "-p", "\(port)", KnotServer.zones[0], "SOA"])
            if let soa, !soa.isEmpty { return relay }
            guard process.isRunning, ContinuousClock.now < deadline else {
                relay.stop()
                throw KnotError("the delay relay on port \(port) did not answer within 15 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Kills the relay. Idempotent.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        LiveProcesses.shared.remove(process.processIdentifier)
    }

    deinit { stop() }
}
