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

    /// Starts a relay to `server` and waits until a query through it is answered. A relay
    /// that does not answer within 10 s (its port taken again between the pick and its bind,
    /// by another test's UDP socket) is killed and started again on another port, 3 times.
    public static func start(to server: KnotServer, delay: Duration) async throws -> DelayRelay {
        var failures: [String] = []
        for _ in 0..<3 {
            let relay = try launch(to: server, delay: delay)
            if try await relay.answers(zone: KnotServer.zones[0], within: .seconds(10)) { return relay }
            relay.stop()
            failures.append("port \(relay.port)")
        }
        throw KnotError("the delay relay did not answer within 10 s (\(failures.joined(separator: ", ")))")
    }

    /// Starts the relay script on a free port.
    private static func launch(to server: KnotServer, delay: Duration) throws -> DelayRelay {
        let port = try FreePort.pick()
        let (seconds, attoseconds) = delay.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "127.0.0.1", "\(port)", server.address, "\(server.port)", "\(milliseconds)", "600"]
        process.standardInput = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        LiveProcesses.shared.add(process.processIdentifier, directory: "")
        return DelayRelay(port: port, process: process)
    }

    /// Whether an SOA query for `zone` through the relay is answered before `limit` ends.
    private func answers(zone: String, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline {
            let soa = try? await Tool.run("/usr/bin/kdig", ["+short", "+timeout=3", "+retry=0", "@127.0.0.1",
                                                           "-p", "\(port)", zone, "SOA"])
            if let soa, !soa.isEmpty { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Kills the relay. Idempotent.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        LiveProcesses.shared.remove(process.processIdentifier)
    }

    deinit { stop() }
}
