import Foundation
import TestSupport

/// Runs a helper program (knotc, keymgr, kdig) without blocking the cooperative pool.
enum Tool {
    /// Output (stdout, then stderr); throws `KnotError` on a non-zero exit.
    static func run(_ path: String, _ arguments: [String], input: Data? = nil) async throws -> String {
        let finished = try await ChildProcess.run(path, arguments, input: input, timeout: .seconds(60))
        let output = finished.stdout + finished.stderr
        guard finished.status == 0 else {
            let command = ([path] + arguments).joined(separator: " ")
            throw KnotError("\(command) exited with \(finished.status): \(output)")
        }
        return output
    }
}
