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

/// knotd processes started by this test process, killed at exit if a test forgot them.
final class LiveProcesses: Sendable {
    static let shared: LiveProcesses = {
        atexit {
            for pid in LiveProcesses.shared.pids.withLock({ $0 }) { kill(pid, SIGKILL) }
        }
        return LiveProcesses()
    }()

    private let pids = Mutex(Set<Int32>())

    func add(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    func remove(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }
}
