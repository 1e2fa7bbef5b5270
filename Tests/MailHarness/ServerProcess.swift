import Foundation
import TestSupport

/// One server process of the harness (dovecot, the submission server, a hostile server):
/// started with its output in `DIR/server.log`, stopped with SIGTERM, its temporary directory
/// removed. Killed when the object goes away unstopped, and at the latest when the test
/// process exits.
final class ServerProcess: Sendable {
    let process: Process
    let directory: String
    var logFile: String { "\(directory)/server.log" }

    init(_ executable: String, _ arguments: [String], directory: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        self.directory = directory
        _ = FileManager.default.createFile(atPath: "\(directory)/server.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/server.log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        try? log.close()
        LiveProcesses.shared.add(process.processIdentifier, directory: directory)
    }

    /// What the server printed (and, for dovecot, logged) so far.
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Waits until `ready()` holds, at most `timeout`; throws with the log when the process
    /// exits first or the time runs out (`retryable` when the log says the port was taken).
    func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ ready: @Sendable () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await ready()) {
            let log = self.log
            guard process.isRunning else {
                throw MailHarnessError("\(what) exited with \(process.terminationStatus):\n\(log)",
                                       retryable: log.contains("already in use"))
            }
            guard ContinuousClock.now < deadline else { throw MailHarnessError("\(what) not ready within \(timeout):\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM, wait for the exit (SIGKILL after 10 s), remove the directory. Idempotent.
    func stop() async {
        if process.isRunning {
            process.terminate()
            _ = await process.exit(within: .seconds(10))
        }
        LiveProcesses.shared.remove(process.processIdentifier)
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        LiveProcesses.shared.remove(process.processIdentifier)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A fresh temporary directory `/tmp/PREFIX-XXXXXXXX`, mode 0755 (servers drop privileges).
func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o755])
    return path
}
