import Glibc
import Systemd
import Varlink

/// `mailsrvctl connect` without its command line: lease, race, relay.
struct Tunnel {
    var email: String
    /// The Acquire `want`: `imap-group`, `pop3-group`, `submission`, or one service.
    var want: String
    /// One service only (`--want`), or nil.
    var only: String?
    var raw: Bool
    var caFile: String?
    var clientHost: String?
    var socket: String

    /// Runs the session to its end.
    func run() throws(TunnelError) {
        signal(SIGPIPE, SIG_IGN)
        let context = raw ? nil : try TLSContext(caFile: caFile)
        let client: VarlinkClient
        do {
            client = try VarlinkClient.connect(to: socket, timeout: .seconds(30))
        } catch {
            throw .temporary("cannot reach mailsrvd at \(socket): \(error)")
        }
        let lease = try TunnelLease(connection: DaemonConnection(client: client, path: socket), email: email, want: want, only: only, clientHost: clientHost)
        let policy = Attempt.Policy(raw: raw, verifyNames: lease.verifyNames,
                                    clientName: clientHost ?? Self.hostName(), tls: context)
        let (_, transport, first) = try Race(policy: policy, lease: lease).run()
        defer { transport.close() }
        try Relay(server: transport).run(first: first)
        withExtendedLifetime(client) {}   // the lease lives as long as this connection
    }

    /// This host's name for SMTP's EHLO.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        let name = cString(buffer)
        return name.isEmpty ? "localhost" : name
    }

    /// The one line on stderr, and the same in the journal (some clients discard stderr).
    static func report(_ line: String) {
        let text = "mailsrvctl connect: \(line)"
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        _ = JournalLogHandler.send(["MESSAGE=\(text)", "PRIORITY=3", "SYSLOG_IDENTIFIER=mailsrvctl"])
    }
}
