import Foundation
import TestSupport

/// A certificate authority made at test time with the `openssl` command (P-256 keys, two
/// days of validity), and the server certificates it issues. Everything lives in
/// `directory`, which the owner of the CA removes (MailServers does).
public struct TestCA: Sendable {
    /// The CA certificate (PEM): the trust store to give a client (`--ca-file`).
    public let certificateFile: String
    private let keyFile: String
    private let directory: String

    /// Makes a new CA in `directory` (which must exist).
    public static func make(in directory: String, name: String = "mailsrvd test CA") async throws -> TestCA {
        let ca = TestCA(certificateFile: "\(directory)/ca.pem", keyFile: "\(directory)/ca.key", directory: directory)
        let config = "\(directory)/ca.cnf"
        try Self.config(commonName: name, extensions: """
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            """).write(toFile: config, atomically: true, encoding: .utf8)
        try await HarnessTool.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca.keyFile, "-out", ca.certificateFile, "-days", "2", "-config", config])
        return ca
    }

    /// Issues a server certificate whose subjectAltName holds exactly `names` (DNS-IDs; a
    /// wildcard such as `*.example.net` is allowed) and whose subject CN is `commonName`
    /// (default: the first name). `file` names the PEM files: `FILE.pem`, `FILE.key`.
    public func issue(names: [String], commonName: String? = nil, file: String) async throws -> ServerCertificate {
        let certificate = ServerCertificate(certificateFile: "\(directory)/\(file).pem",
                                            keyFile: "\(directory)/\(file).key", names: names)
        let config = "\(directory)/\(file).cnf"
        let altNames = names.map { "DNS:\($0)" }.joined(separator: ",")
        try Self.config(commonName: commonName ?? names.first ?? "no name", extensions: """
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            """ + (names.isEmpty ? "" : "\nsubjectAltName = \(altNames)"))
            .write(toFile: config, atomically: true, encoding: .utf8)
        try await HarnessTool.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", certificate.keyFile, "-out", certificate.certificateFile, "-days", "2",
            "-config", config, "-CA", certificateFile, "-CAkey", keyFile])
        return certificate
    }

    private static func config(commonName: String, extensions: String) -> String {
        """
        [req]
        distinguished_name = dn
        prompt = no
        x509_extensions = ext
        [dn]
        CN = \(commonName)
        [ext]
        \(extensions)

        """
    }
}

/// A server's certificate and key (PEM files) and the DNS names it carries.
public struct ServerCertificate: Sendable {
    public let certificateFile: String
    public let keyFile: String
    /// The subjectAltName DNS-IDs.
    public let names: [String]
}

/// Runs a helper program (openssl) to its end; throws on a non-zero exit.
enum HarnessTool {
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) async throws -> String {
        let finished = try await ChildProcess.run(path, arguments, timeout: .seconds(60))
        let output = finished.stdout + finished.stderr
        guard finished.status == 0 else {
            throw MailHarnessError("\(([path] + arguments).joined(separator: " ")) exited with \(finished.status): \(output)")
        }
        return output
    }
}

/// Starting or driving a test mail server failed.
public struct MailHarnessError: Error, CustomStringConvertible {
    public var description: String
    var retryable: Bool
    init(_ description: String, retryable: Bool = false) {
        self.description = description
        self.retryable = retryable
    }
}
