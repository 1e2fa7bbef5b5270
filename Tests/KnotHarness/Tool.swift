import Foundation
import Synchronization

/// Runs a helper program (knotc, keymgr, kdig) without blocking the cooperative pool.
enum Tool {
    /// Output (stdout and stderr together); throws `KnotError` on a non-zero exit.
    static func run(_ path: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let output = String(decoding: data, as: UTF8.self)
                if process.terminationStatus == 0 {
                    continuation.resume(returning: output)
                } else {
                    let command = ([path] + arguments).joined(separator: " ")
                    continuation.resume(throwing: KnotError(
                        "\(command) exited with \(process.terminationStatus): \(output)"))
                }
            }
        }
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
