import Foundation
import KnotHarness
import Testing
import TestSupport
import MailSRVInterface
import Varlink

/// The real `mailsrvd` binary, started for one test with its socket, state and cache in a
/// fresh temporary directory, asking a Knot server (or any `--dns-server`).
final class DaemonProcess: @unchecked Sendable {
    let directory: URL
    let socket: String
    let process: Process
    private let logFile: URL

    /// The directory of the binaries built with the tests (`.build/release` under `make test`).
    static let binaries: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent()
    }()

    /// Starts `mailsrvd` and waits until its socket answers.
    /// - Parameter config: text of a config file passed with `--config`.
    /// - Parameter environment: added to this process's environment for the daemon.
    /// - Parameter launcher: a command that runs the daemon (e.g. `nsenter` into namespaces).
    /// - Parameter dnsServer: `--dns-server`; nil to leave the upstreams to the config file.
    /// - Parameter logLevel: `--log-level`; nil to leave the level to the config file.
    init(dnsServer: String?, config: String? = nil, logLevel: String? = "debug", arguments extra: [String] = [],
         directory existing: URL? = nil, environment: [String: String] = [:], launcher: [String] = []) async throws {
        let directory = existing ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("mailsrvd-\(UUID().uuidString.prefix(8))")
        // World-readable, so that a client running as another uid reaches the socket.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        self.directory = directory
        socket = directory.appendingPathComponent("run/\(SocketLocation.fileName)").path
        logFile = directory.appendingPathComponent("mailsrvd.log")
        var arguments = ["--socket", socket,
                         "--state-directory", directory.appendingPathComponent("state").path,
                         "--cache-directory", directory.appendingPathComponent("cache").path]
        if let dnsServer { arguments += ["--dns-server", dnsServer] }
        if let logLevel { arguments += ["--log-level", logLevel] }
        if let config {
            let file = directory.appendingPathComponent("mailsrvd.conf")
            try config.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["--config", file.path]
        }
        process = Process()
        let binary = Self.binaries.appendingPathComponent("mailsrvd")
        process.executableURL = launcher.first.map(URL.init(fileURLWithPath:)) ?? binary
        process.arguments = launcher.dropFirst() + (launcher.isEmpty ? [] : [binary.path]) + arguments + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.runWithSignalsUnblocked()
        try await waitUntilServing()
    }

    private func waitUntilServing() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if !process.isRunning { throw DaemonFailure("mailsrvd exited: \(log)") }
            if let client = try? VarlinkClient.connect(to: socket, timeout: .seconds(2)) {
                client.close()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DaemonFailure("mailsrvd did not serve \(socket) within 20 s: \(log)")
    }

    /// Whether the daemon's pin file holds a pin (a save has happened since one was made).
    var hasSavedPin: Bool { savedContents("state/pins.json")?["pins"]?.arrayValue?.isEmpty == false }

    /// Whether the daemon's cache file holds an answer (a save has happened since a lookup;
    /// a save writes the pin file first, then this one).
    var hasSavedCache: Bool { savedContents("cache/cache.json")?.arrayValue?.isEmpty == false }

    /// The `contents` of a state or cache file of the daemon, nil while it has none.
    private func savedContents(_ file: String) -> JSONValue? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(file)) else { return nil }
        return (try? JSONValue(parsing: Array(data)))?["contents"]
    }

    /// What the daemon wrote on stderr so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// A new connection to the daemon.
    func connect() async throws -> DaemonConnection {
        try await DaemonConnection(socket: socket)
    }

    /// One call on a new connection.
    func call(_ method: DiscoveryInterface.Method, _ parameters: JSONObject = [:]) async throws -> VarlinkReply {
        try await connect().call(method.qualifiedName, parameters)
    }

    /// Rewrites the config file given at start (for SIGHUP reload tests).
    func rewriteConfig(_ text: String) throws {
        try text.write(to: directory.appendingPathComponent("mailsrvd.conf"), atomically: true, encoding: .utf8)
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    /// A daemon that has not exited 20 s after the signal is killed and the test fails.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        guard await process.exit(within: .seconds(20)) else {
            Issue.record("mailsrvd did not stop within 20 s of signal \(signal); log:\n\(log)")
            return SIGKILL
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct DaemonFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Sends raw bytes to the daemon as user `nobody` (uid 65534) with setpriv and socat, and
/// returns the replies (split at NUL) that came within `seconds` of the last message sent.
func callAsNobody(socket: String, _ messages: [String], seconds: Int = 5) async throws -> [JSONObject] {
    let input = Data(messages.map { $0 + "\0" }.joined().utf8)
    let result = try await ChildProcess.run("/usr/bin/setpriv", [
        "--reuid=65534", "--regid=65534", "--clear-groups",
        "/usr/bin/socat", "-t", "\(seconds)", "-", "UNIX-CONNECT:\(socket)",
    ], input: input)
    guard result.status == 0 else { throw DaemonFailure("socat as nobody failed: \(result.stderr)") }
    return try result.stdout.split(separator: "\0").map { message in
        guard case .object(let reply) = try JSONValue(parsing: Array(message.utf8)) else {
            throw DaemonFailure("not a JSON object: \(message)")
        }
        return reply
    }
}

/// One Knot server for the tests that only read the zones.
enum SharedKnot {
    private static let task = Task { try await KnotServer.start(signing: false) }
    static func server() async throws -> KnotServer { try await task.value }
}

extension VarlinkReply {
    /// The error name without the interface, or nil for a success.
    var errorName: String? { error.map { String($0.split(separator: ".").last ?? "") } }

    subscript(_ name: String) -> JSONValue? { parameters[name] }

    /// The reply's `endpoint` without its `ttl`.
    var endpointWithoutTTL: JSONValue? { self["endpoint"]?.withoutTTL }
}

extension JSONValue {
    /// An endpoint without its `ttl`, which counts down between two replies: what stays
    /// the same for the same target.
    var withoutTTL: JSONValue { .object(objectValue?.filter { $0.key != "ttl" } ?? [:]) }
}

/// Polls `condition` every 20 ms until it holds or `seconds` have passed; its last value.
func eventually(within seconds: Int, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A new blocking stream socket connected to the Unix socket at `path`; the caller closes it.
func connectUnixSocket(_ path: String) throws -> Int32 {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw DaemonFailure("socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
        close(descriptor)
        throw DaemonFailure("socket path too long: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard connected == 0 else {
        let problem = String(cString: strerror(errno))
        close(descriptor)
        throw DaemonFailure("connect \(path): \(problem)")
    }
    return descriptor
}
