import Foundation
import Synchronization

/// Server processes started by this test process (knotd, dovecot, …) and their temporary
/// directories: killed and removed at exit if a test forgot them (e.g. a server shared by
/// many tests).
public final class LiveProcesses: Sendable {
    public static let shared: LiveProcesses = {
        atexit {
            for (pid, directory) in LiveProcesses.shared.entries.withLock({ $0 }) {
                kill(pid, SIGKILL)
                if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
            }
        }
        return LiveProcesses()
    }()

    private let entries = Mutex([Int32: String]())

    public func add(_ pid: Int32, directory: String) { entries.withLock { $0[pid] = directory } }
    public func remove(_ pid: Int32) { _ = entries.withLock { $0.removeValue(forKey: pid) } }
}
