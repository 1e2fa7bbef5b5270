import Foundation
import Synchronization
import TestSupport

/// Runs a helper program (knotc, keymgr, kdig) without blocking the cooperative pool.
enum Tool {
    /// Output (stdout, then stderr); throws `KnotError` on a non-zero exit.
    static func run(_ path: String, _ arguments: [String]) async throws -> String {
        let finished = try await ChildProcess.run(path, arguments, timeout: .seconds(60))
        let output = finished.stdout + finished.stderr
        guard finished.status == 0 else {
            let command = ([path] + arguments).joined(separator: " ")
            throw KnotError("\(command) exited with \(finished.status): \(output)")
        }
        return output
    }
}

/// knotd processes started by this test process and their directories: killed and
/// removed at exit if a test forgot them (e.g. a server shared by many tests).
final class LiveProcesses: Sendable {
    static let shared: LiveProcesses = {
        atexit {
            for (pid, directory) in LiveProcesses.shared.entries.withLock({ $0 }) {
                kill(pid, SIGKILL)
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return LiveProcesses()
    }()

    private let entries = Mutex([Int32: String]())

    func add(_ pid: Int32, directory: String) { entries.withLock { $0[pid] = directory } }
    func remove(_ pid: Int32) { _ = entries.withLock { $0.removeValue(forKey: pid) } }
}
