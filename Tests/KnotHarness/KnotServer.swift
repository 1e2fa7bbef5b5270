import Foundation
import TestSupport

/// A real Knot DNS server (`knotd`) on 127.0.0.1 and a free random port, serving the zones
/// of `Tests/KnotHarness/Zones` from a fresh temporary directory. Each instance is
/// independent, so tests may start as many as they like in parallel.
///
/// Zones: `example.net` (unsigned) and `secure.example.org` (DNSSEC-signed with the fixed key
/// `secure.example.org.csk.pem` unless `signing: false`); see the comments at the top of each
/// zone file for what they contain.
///
/// Call `stop()` when done. A server that is never stopped is killed when the object
/// goes away, and at the latest when the test process exits.
public final class KnotServer: Sendable {
    /// The zones every server serves.
    public static let zones = ["example.net", "secure.example.org"]
    /// The zone that is DNSSEC-signed (when `signing` is on).
    public static let signedZone = "secure.example.org"

    /// The UDP and TCP port on `address`.
    public let port: UInt16
    /// The loopback address it listens on (127.0.0.1 unless given).
    public let address: String
    /// Every zone served: `zones` and the extra ones.
    public let servedZones: [String]
    /// `"ADDR@PORT"`, the form `ResolverConfiguration.upstreams` takes.
    public var forwarder: String { "\(address)@\(port)" }
    /// The SHA-256 DS record of `signedZone` in presentation format
    /// (`"secure.example.org. DS 2464 13 2 0f60…"`), usable as a trust anchor; nil without signing.
    public let dsRecord: String?
    /// The temporary directory with config, zones, database and `knotd.log`.
    public let directory: URL

    private let process: Process
    private let configFile: String

    private let launcher: [String]

    private init(port: UInt16, address: String, servedZones: [String], launcher: [String], dsRecord: String?,
                 directory: URL, process: Process, configFile: String) {
        self.port = port
        self.address = address
        self.servedZones = servedZones
        self.launcher = launcher
        self.dsRecord = dsRecord
        self.directory = directory
        self.process = process
        self.configFile = configFile
    }

    /// Starts a server and waits until it answers. Retries with another port if the one
    /// picked was taken meanwhile.
    /// - Parameter extraZones: more zones to serve, name → zone file text (`$ORIGIN` is set).
    /// - Parameter address: the loopback address to listen on.
    /// - Parameter port: a fixed port (e.g. 53 in a network namespace); default: a free one.
    /// - Parameter launcher: a command that runs `knotd` and `kdig` (e.g. `nsenter` into a
    ///   network namespace); `knotc` talks to its Unix socket from here.
    public static func start(signing: Bool = true, extraZones: [String: String] = [:], address: String = "127.0.0.1",
                             port: UInt16? = nil, launcher: [String] = []) async throws -> KnotServer {
        var lastError: Error?
        for _ in 0..<5 {
            do {
                return try await startOnce(signing: signing, extraZones: extraZones, address: address,
                                           fixedPort: port, launcher: launcher)
            } catch let error as KnotError where error.retryable {
                lastError = error
            }
        }
        throw lastError ?? KnotError("knotd did not start")
    }

    private static func startOnce(signing: Bool, extraZones: [String: String], address: String,
                                  fixedPort: UInt16?, launcher: [String]) async throws -> KnotServer {
        let port = try fixedPort ?? FreePort.pick()
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("knot-\(UUID().uuidString.prefix(8))")
        let fm = FileManager.default
        for sub in ["run", "db", "zones"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for zone in zones {
            try fm.copyItem(at: try zonesDirectory().appendingPathComponent("\(zone).zone"),
                            to: dir.appendingPathComponent("zones/\(zone).zone"))
        }
        for (zone, text) in extraZones {
            try "$ORIGIN \(zone).\n\(text)\n".write(to: dir.appendingPathComponent("zones/\(zone).zone"),
                                                 atomically: true, encoding: .utf8)
        }
        let config = dir.appendingPathComponent("knot.conf").path
        try KnotConfig.text(directory: dir.path, address: address, port: port, signing: signing,
                            extraZones: extraZones.keys.sorted())
            .write(toFile: config, atomically: true, encoding: .utf8)

        var ds: String?
        do {
            if signing {
                let key = try zonesDirectory().appendingPathComponent("\(signedZone).csk.pem").path
                _ = try await Tool.run("/usr/sbin/keymgr", ["-c", config, signedZone, "import-pem", key,
                                                          "algorithm=ecdsap256sha256", "ksk=yes", "zsk=yes"])
                let lines = try await Tool.run("/usr/sbin/keymgr", ["-c", config, signedZone, "ds"])
                ds = lines.split(separator: "\n").map(String.init)
                    .first { $0.split(separator: " ").dropFirst(4).first == "2" }   // digest type 2
            }
        } catch {
            try? fm.removeItem(at: dir)
            throw error
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? "/usr/sbin/knotd")
        process.arguments = launcher.dropFirst() + (launcher.isEmpty ? [] : ["/usr/sbin/knotd"]) + ["-c", config]
        let logPath = dir.appendingPathComponent("knotd.log").path
        _ = fm.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        try? log.close()
        LiveProcesses.shared.add(process.processIdentifier, directory: dir.path)

        let server = KnotServer(port: port, address: address, servedZones: zones + extraZones.keys.sorted(),
                                launcher: launcher, dsRecord: ds, directory: dir, process: process, configFile: config)
        do {
            try await server.waitUntilAnswering()
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// Waits until knotd's log says it has started (no child process: each spawn of the
    /// tests' waits for the others, see `Process.runWithSignalsUnblocked`), then polls
    /// `kdig +tcp … SOA` with one query for every zone in one run until each has its answer
    /// (TCP: a UDP probe before bind waits its timeout), then `knotc status`. The log is
    /// only a hint: a knotd that words it otherwise is polled with kdig after 10 s.
    private func waitUntilAnswering() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        let logged = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < logged, !log.contains("control, binding to") {
            try await Task.sleep(for: .milliseconds(10))
        }
        let queries = servedZones.flatMap { [$0, "SOA"] }
        while true {
            guard process.isRunning else {
                throw KnotError("knotd exited with \(process.terminationStatus):\n\(log)",
                                retryable: log.contains("address already in use"))
            }
            let answers = (try? await kdig(["+short", "+tcp", "+timeout=1", "+retry=0"] + queries)) ?? ""
            let soaRecords = answers.split(separator: "\n").filter { !$0.isEmpty && !$0.hasPrefix(";") }
            if soaRecords.count == servedZones.count { break }
            guard ContinuousClock.now < deadline else {
                throw KnotError("knotd on port \(port) did not answer for all of \(servedZones) within 30 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // The control socket (`change`, `knotc`) comes up after the zones answer.
        while (try? await knotc(["status"])) == nil {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw KnotError("knotd on port \(port) did not open its control socket within 30 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Changes records of `zone` live in one transaction (`knotc zone-begin`, the edits,
    /// `zone-commit`); the next query to the server sees the result. Owners are relative
    /// to the zone (`"live"`) or absolute with a trailing dot. The begin and the edits go
    /// to one `knotc` as lines on its standard input, each word single-quoted (knotc splits
    /// those lines as a shell would, and takes `\` outside quotes as an escape); knotc
    /// answers each line with `OK` or an error but goes on after an error (and exits 0), so
    /// the commit is a second run, made only when every line was `OK`.
    public func change(zone: String, _ edits: [ZoneEdit]) async throws {
        let commands = [["zone-begin", zone]] + edits.map { [$0.command, zone] + $0.arguments }
        let quoted = { (word: String) in "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
        let script = commands.map { $0.map(quoted).joined(separator: " ") + "\n" }.joined()
        let replies = try await knotc([], input: Data(script.utf8))
        let lines = replies.split(separator: "\n")
        guard lines.count == commands.count, lines.allSatisfy({ $0 == "OK" }) else {
            _ = try? await knotc(["zone-abort", zone])
            throw KnotError("knotc refused the change of \(zone):\n\(script)→\n\(replies)")
        }
        _ = try await knotc(["zone-commit", zone])
    }

    /// A small zone for `extraZones`: SOA, NS, IMAPS (`_imaps._tcp` SRV 0 1 993 to `mail`)
    /// and `mail` A `address`; any other name is NXDOMAIN.
    public static func mailZone(address: String) -> String {
        """
        @ 3600 SOA ns hostmaster 1 3600 600 86400 60
        @ 3600 NS ns
        ns 3600 A 127.0.0.1
        _imaps._tcp 3600 SRV 0 1 993 mail
        mail 3600 A \(address)
        """
    }

    /// Runs `kdig @ADDRESS -p PORT args…` (through the launcher) and returns its output.
    public func kdig(_ arguments: [String]) async throws -> String {
        let command = launcher + ["/usr/bin/kdig", "@\(address)", "-p", "\(port)"] + arguments
        return try await Tool.run(command[0], Array(command.dropFirst()))
    }

    /// Runs `knotc -c CONFIG args…` against this server and returns its output; `input`
    /// goes to its standard input (commands, one a line, when `arguments` holds none).
    public func knotc(_ arguments: [String], input: Data? = nil) async throws -> String {
        try await Tool.run("/usr/sbin/knotc", ["-c", configFile] + arguments, input: input)
    }

    /// What `knotd` logged so far.
    private var log: String {
        (try? String(contentsOfFile: directory.appendingPathComponent("knotd.log").path, encoding: .utf8)) ?? ""
    }

    /// True while `knotd` runs.
    public var isRunning: Bool { process.isRunning }

    /// Sends SIGTERM, waits for `knotd` to exit (≈ 1.5 s; SIGKILL after 10 s) and removes
    /// the temporary directory. Idempotent.
    public func stop() async {
        if process.isRunning {
            process.terminate()
            _ = await process.exit(within: .seconds(10))
        }
        LiveProcesses.shared.remove(process.processIdentifier)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            LiveProcesses.shared.remove(process.processIdentifier)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The `Zones` resource directory of this module.
    public static func zonesDirectory() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Zones", withExtension: nil) else {
            throw KnotError("Zones resource directory not found in \(Bundle.module.bundlePath)")
        }
        return url
    }
}

/// One change inside a `knotc` zone transaction.
public enum ZoneEdit: Sendable, Hashable {
    /// Adds a record: `zone-set ZONE owner ttl type data`.
    case set(owner: String, ttl: UInt32, type: String, data: String)
    /// Removes records: `zone-unset ZONE owner [type [data]]`.
    case unset(owner: String, type: String? = nil, data: String? = nil)

    var command: String {
        switch self {
        case .set: "zone-set"
        case .unset: "zone-unset"
        }
    }

    var arguments: [String] {
        switch self {
        case let .set(owner, ttl, type, data): [owner, "\(ttl)", type, data]
        case let .unset(owner, type, data): [owner] + [type, data].compactMap { $0 }
        }
    }
}

/// Starting or driving Knot failed.
public struct KnotError: Error, CustomStringConvertible {
    public var description: String
    var retryable: Bool
    init(_ description: String, retryable: Bool = false) {
        self.description = description
        self.retryable = retryable
    }
}
