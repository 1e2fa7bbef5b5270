import Foundation
import TestSupport

/// A real SMTP submission server (aiosmtpd, `Scripts/submission_server.py`) on one loopback
/// address and free ports: AUTH PLAIN/LOGIN required; `submission` (STARTTLS required
/// before AUTH) and `submissions` (implicit TLS) with a certificate; `plain` (no STARTTLS
/// offered: the server a tunnel must refuse) when asked. Every message it accepts is kept
/// as a ``SubmittedMessage``. Call `stop()` when done.
public final class SubmissionServer: Sendable {
    public let address: String
    /// STARTTLS port; nil without a certificate.
    public let submissionPort: UInt16?
    /// Implicit-TLS port; nil without a certificate.
    public let submissionsPort: UInt16?
    /// A port that offers no STARTTLS; nil unless asked for.
    public let plainPort: UInt16?
    private let server: ServerProcess

    private init(address: String, ports: (UInt16?, UInt16?, UInt16?), server: ServerProcess) {
        self.address = address
        (submissionPort, submissionsPort, plainPort) = ports
        self.server = server
    }

    /// Starts the server and waits until it listens.
    /// - Parameter name: the host name in its `220` greeting and EHLO reply (tells hosts apart).
    public static func start(address: String, name: String, certificate: ServerCertificate?,
                             plain: Bool = false, user: String = "alice", password: String = "secret") async throws -> SubmissionServer {
        var lastError: Error?
        for _ in 0..<5 {
            do {
                return try await startOnce(address: address, name: name, certificate: certificate, plain: plain,
                                           user: user, password: password)
            } catch let error as MailHarnessError where error.retryable {
                lastError = error
            }
        }
        throw lastError ?? MailHarnessError("the submission server did not start")
    }

    private static func startOnce(address: String, name: String, certificate: ServerCertificate?, plain: Bool,
                                  user: String, password: String) async throws -> SubmissionServer {
        let directory = try makeTemporaryDirectory("submission")
        var arguments = [try script(), address, "\(directory)/received", user, password, name]
        var ports: (UInt16?, UInt16?, UInt16?) = (nil, nil, nil)
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/received", withIntermediateDirectories: true)
            if let certificate {
                ports.0 = try FreePort.pick(address: address)
                ports.1 = try FreePort.pick(address: address)
                arguments += ["--starttls", "\(ports.0!)", "--implicit", "\(ports.1!)",
                              "--cert", certificate.certificateFile, "--key", certificate.keyFile]
            }
            if plain {
                ports.2 = try FreePort.pick(address: address)
                arguments += ["--plain", "\(ports.2!)"]
            }
            let picked = [ports.0, ports.1, ports.2].compactMap { $0 }
            guard Set(picked).count == picked.count else { throw MailHarnessError("port picked twice", retryable: true) }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let server = try ServerProcess(try await Python.executable(), arguments, directory: directory)
        do {
            try await server.waitUntil("the submission server on \(address)") { server.log.contains("READY") }
        } catch {
            await server.stop()
            throw error
        }
        return SubmissionServer(address: address, ports: ports, server: server)
    }

    /// The messages received so far, oldest first.
    public func received() throws -> [SubmittedMessage] {
        let directory = "\(server.directory)/received"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        return try files.map { name -> (Date, SubmittedMessage) in
            let path = "\(directory)/\(name)"
            let date = (try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            return (date, try JSONDecoder().decode(SubmittedMessage.self, from: Data(contentsOf: URL(fileURLWithPath: path))))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// What the server printed.
    public var log: String { server.log }

    /// Stops the server and removes its directory. Idempotent.
    public func stop() async { await server.stop() }

    private static func script() throws -> String {
        guard let url = Bundle.module.url(forResource: "submission_server", withExtension: "py", subdirectory: "Scripts") else {
            throw MailHarnessError("Scripts/submission_server.py not found in \(Bundle.module.bundlePath)")
        }
        return url.path
    }
}

/// One message the submission server accepted.
public struct SubmittedMessage: Sendable, Decodable {
    /// MAIL FROM.
    public var from: String
    /// RCPT TO.
    public var to: [String]
    /// The authenticated login.
    public var user: String?
    /// Whether the session was under TLS (STARTTLS or implicit) when the message came.
    public var tls: Bool
    /// The message text.
    public var data: String
}
