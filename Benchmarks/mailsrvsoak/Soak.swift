import Foundation
import KnotHarness
import MailSRVInterface

/// Where the soak's daemon lives and what it is given.
struct SoakSetup: Sendable {
    /// The directory of this binary and of the mailsrvd it starts.
    let binaries: URL
    /// The temporary directory: config, state, cache, log, socket.
    let directory: URL
    let socketPath: String
    /// MaxConnectionsPerUser= of the daemon: the well-behaved connections and 64 more.
    let perUserLimit: Int
    /// Knot's address, the daemon's --dns-server.
    let forwarder: String
}

/// The two phases against one Knot server and one daemon directory.
struct Soak: Sendable {
    let options: Options
    let setup: SoakSetup

    /// Runs the soak; true when every check passed.
    static func run(_ options: Options) async throws -> Bool {
        try raiseDescriptorLimit(for: options.connections)
        let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvsoak-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let perUserLimit = options.connections + 64
        let config = """
            [Discovery]
            MaxConnectionsPerUser=\(perUserLimit)
            MaxCallsPerUser=\(options.connections * 2)
            IdleTimeout=10s
            SaveInterval=1s
            QueryTimeout=2s

            """
        try config.write(to: directory.appendingPathComponent("mailsrvd.conf"), atomically: true, encoding: .utf8)
        let knot = try await KnotServer.start(signing: false, extraZones: ["wide.test": bigZone("wide.test"),
                                                                           "many.test": bigZone("many.test")])
        let soak = Soak(options: options, setup: SoakSetup(
            binaries: binaries, directory: directory,
            socketPath: directory.appendingPathComponent("run/\(SocketLocation.fileName)").path,
            perUserLimit: perUserLimit, forwarder: knot.forwarder))

        var checks = Checks()
        var daemon = try SoakDaemon(soak.setup)
        try soak.flood(daemon, &checks)
        daemon = try soak.killAndRestart(daemon, &checks)
        kill(daemon.pid, SIGTERM)
        daemon.process.waitUntilExit()
        await knot.stop()
        if checks.problems.isEmpty {
            try? FileManager.default.removeItem(at: directory)
            say("mailsrvsoak: passed")
            return true
        }
        say("mailsrvsoak: FAILED (\(checks.problems.count)); daemon log in \(directory.path)/mailsrvd.log")
        return false
    }

    /// Raises RLIMIT_NOFILE to its hard limit. The daemon gives one uid at most 3/16 of its
    /// descriptor limit (DescriptorBudget): uid 0 needs `connections` + 64 of them, the soak
    /// itself one per connection and a few hundred more.
    private static func raiseDescriptorLimit(for connections: Int) throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur >= rlim_t((connections + 64) * 16 / 3 + 1) else {
            say("RLIMIT_NOFILE \(limit.rlim_cur) is too low for \(connections) connections of one uid; raise the hard limit")
            exit(2)
        }
    }
}
