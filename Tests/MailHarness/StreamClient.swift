import Foundation
import TestSupport

/// Python's own mail clients (imaplib's `IMAP4_stream`, poplib, smtplib) talking through a
/// tunnel command, as a mail client would (`Scripts/stream_client.py`).
public enum StreamClient {
    public enum Mode: String, Sendable { case imap, pop3, smtp }

    /// Runs one session through `command` (a shell command line); returns what the client
    /// printed, one `key value` line per step, the last `exit N` (the command's status).
    public static func run(_ mode: Mode, command: String, user: String = "alice", password: String = "secret",
                           recipient: String = "bob@example.org", environment: [String: String]? = nil,
                           timeout: Duration = .seconds(90)) async throws -> ChildProcess.Finished {
        try await ChildProcess.run(try await Python.executable(), Python.standardLibraryOnly + [try script(), mode.rawValue, command, user, password, recipient],
                                   environment: environment, timeout: timeout)
    }

    /// The path of `stream_client.py`, for running it some other way (as another user, or
    /// `hold`: an IMAP session that prints its greeting and stays logged in until stdin ends).
    public static func script() throws -> String {
        guard let script = Bundle.module.url(forResource: "stream_client", withExtension: "py", subdirectory: "Scripts") else {
            throw MailHarnessError("Scripts/stream_client.py not found in \(Bundle.module.bundlePath)")
        }
        return script.path
    }
}

extension ChildProcess.Finished {
    /// The values of the client's `key value` lines for `key`.
    public func values(_ key: String) -> [String] {
        stdout.split(separator: "\n").compactMap { line in
            line.hasPrefix(key + " ") ? String(line.dropFirst(key.count + 1)) : nil
        }
    }
}
