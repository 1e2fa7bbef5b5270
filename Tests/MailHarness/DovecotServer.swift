import Foundation
import TestSupport

/// A real Dovecot (IMAP and POP3) on one loopback address and free ports, with its own
/// `base_dir`, users and Maildirs in a fresh temporary directory. Needs root (dovecot drops
/// to its own users); tests skip without it. Call `stop()` when done.
///
/// With a certificate: `imap` and `pop3` offer STARTTLS/STLS (plaintext login refused before
/// it), `imaps` and `pop3s` are implicit TLS. Without one: no TLS at all, no STARTTLS
/// offered, plaintext login allowed (the server a tunnel must refuse), and no `imaps`/`pop3s`.
public final class DovecotServer: Sendable {
    public struct Options: Sendable {
        /// The IPv4 loopback address to listen on, e.g. `127.0.0.21`.
        public var address: String
        /// `login_greeting`: tells hosts apart (`* OK GREETING`, `+OK GREETING`).
        public var greeting: String
        /// nil: no TLS at all.
        public var certificate: ServerCertificate?
        /// Login → password; every user's uid is 65534.
        public var users: [String: String]

        public init(address: String, greeting: String, certificate: ServerCertificate?,
                    users: [String: String] = ["alice": "secret"]) {
            self.address = address
            self.greeting = greeting
            self.certificate = certificate
            self.users = users
        }
    }

    public let options: Options
    public var address: String { options.address }
    public let imapPort: UInt16
    public let pop3Port: UInt16
    /// nil without TLS.
    public let imapsPort: UInt16?
    public let pop3sPort: UInt16?
    private let server: ServerProcess

    private init(options: Options, ports: [UInt16], server: ServerProcess) {
        self.options = options
        (imapPort, pop3Port) = (ports[0], ports[1])
        (imapsPort, pop3sPort) = options.certificate == nil ? (nil, nil) : (ports[2], ports[3])
        self.server = server
    }

    /// Starts dovecot and waits until its IMAP and POP3 listeners greet; retries with other
    /// ports when one was taken meanwhile.
    public static func start(_ options: Options) async throws -> DovecotServer {
        var lastError: Error?
        for _ in 0..<5 {
            do {
                return try await startOnce(options)
            } catch let error as MailHarnessError where error.retryable {
                lastError = error
            }
        }
        throw lastError ?? MailHarnessError("dovecot did not start")
    }

    private static func startOnce(_ options: Options) async throws -> DovecotServer {
        let directory = try makeTemporaryDirectory("dovecot")
        let ports: [UInt16]
        do {
            ports = try (0..<4).map { _ in try FreePort.pick(address: options.address) }
            guard Set(ports).count == 4 else { throw MailHarnessError("port picked twice", retryable: true) }
            try prepare(options, directory: directory, ports: ports)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let server = try ServerProcess("/usr/sbin/dovecot", ["-F", "-c", "\(directory)/dovecot.conf"], directory: directory)
        let dovecot = DovecotServer(options: options, ports: ports, server: server)
        do {
            try await server.waitUntil("dovecot on \(options.address)") {
                for port in [dovecot.imapPort, dovecot.pop3Port] {
                    guard let line = await LineProbe.firstLine(address: options.address, port: port),
                          line.hasSuffix(options.greeting) else { return false }
                }
                return true
            }
        } catch {
            await dovecot.stop()
            throw error
        }
        return dovecot
    }

    private static func prepare(_ options: Options, directory d: String, ports: [UInt16]) throws {
        let fm = FileManager.default
        for sub in ["run", "state", "home"] {
            try fm.createDirectory(atPath: "\(d)/\(sub)", withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o755])
        }
        var users = ""
        for (name, password) in options.users.sorted(by: { $0.key < $1.key }) {
            users += "\(name):{PLAIN}\(password):65534:65534::\(d)/home/\(name)::\n"
            for sub in ["cur", "new", "tmp"] {
                try fm.createDirectory(atPath: "\(d)/home/\(name)/Maildir/\(sub)", withIntermediateDirectories: true)
            }
            try chownTree("\(d)/home/\(name)")
        }
        try users.write(toFile: "\(d)/users", atomically: true, encoding: .utf8)
        try DovecotConfig.text(options, directory: d, ports: ports)
            .write(toFile: "\(d)/dovecot.conf", atomically: true, encoding: .utf8)
    }

    /// The Maildir of `user`.
    public func maildir(of user: String) -> String { "\(server.directory)/home/\(user)/Maildir" }

    /// Puts `message` (RFC 5322 text, CRLF or LF) into `user`'s INBOX as a new message.
    public func deliver(to user: String, message: String) throws {
        let name = "\(UInt64(Date().timeIntervalSince1970)).\(UUID().uuidString.prefix(12)).harness"
        let path = "\(maildir(of: user))/new/\(name)"
        try message.write(toFile: path, atomically: false, encoding: .utf8)
        guard chown(path, 65534, 65534) == 0 else { throw MailHarnessError("chown \(path) failed") }
    }

    /// Dovecot's log: logins (`Login: user=<alice>, …, TLS`), disconnects.
    public var log: String { server.log }

    /// Stops dovecot and removes its directory. Idempotent.
    public func stop() async { await server.stop() }
}

private func chownTree(_ root: String) throws {
    let paths = [root] + (FileManager.default.subpaths(atPath: root) ?? []).map { "\(root)/\($0)" }
    for path in paths where chown(path, 65534, 65534) != 0 {
        throw MailHarnessError("chown \(path) failed (dovecot needs root)")
    }
}
