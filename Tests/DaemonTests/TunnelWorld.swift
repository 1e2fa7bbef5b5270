import Foundation
import KnotHarness
import MailHarness
import TestSupport

/// Everything a `mailsrvctl connect` test needs: its own Knot server, a mail domain
/// `LABEL.example.net` (or, signed, `LABEL.secure.example.org` with the daemon trusting its
/// DS) whose SRV records the test publishes, a daemon asking that Knot, and a CA for the
/// servers' certificates. `with(label:…)` runs a test in one and ends it all afterwards.
final class TunnelWorld: @unchecked Sendable {
    let knot: KnotServer
    let daemon: DaemonProcess
    let ca: TestCA
    let directory: String
    /// The mail domain, e.g. `t1.example.net`.
    let domain: String
    /// The zone it is in.
    let zone: String
    /// The CAs of certificates made with `untrusted: true`.
    private(set) var untrustedCAs: [String] = []
    private var servers: [@Sendable () async -> Void] = []

    /// - Parameter settings: `Key=Value` lines for the daemon's `[Discovery]` section.
    init(label: String, signed: Bool = false, settings: [String] = []) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tunnel-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        self.directory = directory
        zone = signed ? KnotServer.signedZone : "example.net"
        domain = "\(label).\(zone)"
        async let ca = TestCA.make(in: directory)   // made while Knot starts
        knot = try await KnotServer.start(signing: signed)
        var settings = settings
        if signed, let ds = knot.dsRecord {
            try ds.write(toFile: "\(directory)/anchor.ds", atomically: true, encoding: .utf8)
            settings.append("TrustAnchor=\(directory)/anchor.ds")
        }
        daemon = try await DaemonProcess(dnsServer: knot.forwarder,
                                         config: (["[Discovery]"] + settings).joined(separator: "\n") + "\n")
        self.ca = try await ca
    }

    /// Runs `body` in a new world and stops the world when `body` ends, returned or thrown:
    /// nothing the world started outlives the test.
    static func with<T>(label: String, signed: Bool = false, settings: [String] = [],
                        _ body: (TunnelWorld) async throws -> T) async throws -> T {
        let world = try await TunnelWorld(label: label, signed: signed, settings: settings)
        do {
            let result = try await body(world)
            await world.stop()
            return result
        } catch {
            await world.stop()
            throw error
        }
    }

    /// A certificate for `names` from the world's CA.
    func certificate(_ names: [String]) async throws -> ServerCertificate {
        try await ca.issue(names: names, file: "cert-\(UUID().uuidString.prefix(8))")
    }

    /// Starts Dovecot on `address`; stopped with the world. `names`: its certificate's names
    /// (nil: no TLS); `untrusted`: that certificate comes from a CA the tunnel does not trust;
    /// `users`: login → password.
    func dovecot(_ address: String, greeting: String, names: [String]?, untrusted: Bool = false,
                 users: [String: String] = ["alice": "secret"]) async throws -> DovecotServer {
        var certificate: ServerCertificate?
        if untrusted, let names {
            let other = "\(directory)/untrusted-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
            let ca = try await TestCA.make(in: other, name: "untrusted CA")
            untrustedCAs.append(ca.certificateFile)
            certificate = try await ca.issue(names: names, file: "server")
        } else if let names {
            certificate = try await self.certificate(names)
        }
        let server = try await DovecotServer.start(.init(address: address, greeting: greeting,
                                                         certificate: certificate, users: users))
        servers.append { await server.stop() }
        return server
    }

    /// Starts the submission server on `address`, `user` its one login; stopped with the world.
    func submission(_ address: String, name: String, names: [String]?, plain: Bool = false,
                    user: String = "alice") async throws -> SubmissionServer {
        let certificate: ServerCertificate? = if let names { try await self.certificate(names) } else { nil }
        let server = try await SubmissionServer.start(address: address, name: name, certificate: certificate,
                                                      plain: plain, user: user)
        servers.append { await server.stop() }
        return server
    }

    /// Starts a hostile server on `address`; stopped with the world.
    func hostile(_ mode: HostileServer.Mode, _ address: String) async throws -> HostileServer {
        let server = try await HostileServer.start(mode, address: address)
        servers.append { await server.stop() }
        return server
    }

    /// One SRV record of the domain: `service` (`imaps`, …) → `host`.`domain`:`port`.
    struct SRV {
        var service: String
        var priority: Int = 0
        var weight: Int = 0
        var port: UInt16
        var host: String
    }

    /// Publishes SRV records and the A records of their hosts (`host` → addresses).
    func publish(_ records: [SRV], hosts: [String: [String]]) async throws {
        var edits: [ZoneEdit] = records.map { record in
            .set(owner: "_\(record.service)._tcp.\(domain).", ttl: 300, type: "SRV",
                 data: "\(record.priority) \(record.weight) \(record.port) \(record.host).\(domain).")
        }
        for (host, addresses) in hosts {
            edits += addresses.map { .set(owner: "\(host).\(domain).", ttl: 300, type: "A", data: $0) }
        }
        try await knot.change(zone: zone, edits)
    }

    /// The path of the `mailsrvctl` built with the tests.
    static let mailsrvctl = DaemonProcess.binaries.appendingPathComponent("mailsrvctl").path

    /// `mailsrvctl connect alice@DOMAIN ARGS… --ca-file CA --socket S` with `input` on stdin.
    func connect(_ arguments: [String] = [], input: String, user: String = "alice",
                 timeout: Duration = .seconds(60)) async throws -> ChildProcess.Finished {
        try await ChildProcess.run(Self.mailsrvctl, ["connect", "\(user)@\(domain)"] + arguments + commonArguments,
                                   input: Data(input.utf8), timeout: timeout)
    }

    /// `--ca-file CA --socket S`.
    var commonArguments: [String] { ["--ca-file", ca.certificateFile, "--socket", daemon.socket] }

    /// The shell command a client's tunnel setting gets (`caFile`: instead of the world's CA).
    func tunnelCommand(_ arguments: [String] = [], user: String = "alice", caFile: String? = nil) -> String {
        ([Self.mailsrvctl, "connect", "\(user)@\(domain)"] + arguments
            + ["--ca-file", caFile ?? ca.certificateFile, "--socket", daemon.socket]).joined(separator: " ")
    }

    /// Stops everything the world started, side by side (a Dovecot takes a second to stop).
    func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for stop in servers { group.addTask { await stop() } }
            group.addTask { _ = await self.daemon.stop() }
            group.addTask { await self.knot.stop() }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
