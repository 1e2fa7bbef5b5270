import Foundation
import TestSupport

/// The interpreter that `python3` on PATH runs (the one the Makefile installs aiosmtpd
/// into), found once per test process and then started directly: through a version
/// manager's shim (pyenv's is some fifty bash and readlink processes) every start of a
/// harness script cost 0.3 s and more of the shared CPU.
public enum Python {
    /// The path of that `python3`.
    public static func executable() async throws -> String { try await resolved.value }

    /// The options for a script that needs only the standard library: `-S`, no site-packages
    /// (whose `.pth` hooks here cost more CPU than the script's own start).
    public static let standardLibraryOnly = ["-S"]

    private static let resolved = Task<String, Error> {
        let run = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", "import sys; print(sys.executable)"],
                                             timeout: .seconds(60))
        let path = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard run.status == 0, path.hasPrefix("/") else {
            throw MailHarnessError("python3 on PATH did not say where it is (\(run.status)): \(run.stdout)\(run.stderr)")
        }
        return path
    }
}
