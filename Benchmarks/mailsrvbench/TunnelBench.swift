import Foundation
import Glibc
import KnotHarness
import MailHarness
import MailSRVInterface
import Varlink

/// `mailsrvbench tunnel`: `mailsrvctl connect` against a direct TLS client, on the servers
/// of the tests (Tests/MailHarness: Dovecot with a CA made now, blackholed addresses;
/// Tests/KnotHarness: Knot) and a mailsrvd of its own. The direct client is
/// `openssl s_client` with the same CA: a process doing TLS with the same OpenSSL, as the
/// tunnel is. Pairs are interleaved (tunnel, direct, tunnel, direct, …) so that a noisy
/// moment of the shared machine falls on both sides. Prints one JSON object: the
/// milliseconds to the IMAP greeting of each side; with the first candidate blackholed,
/// the tunnel's milliseconds to the next candidate's greeting; the seconds of a FETCH of
/// one large message (and the CPU seconds of each client process, from its rusage).
struct TunnelBench {
    var daemon: String
    var mailsrvctl: String
    /// Where everything lives (the caller removes it).
    var directory: String
    var pairs: Int
    var failovers: Int
    var bulkBytes: Int

    static let domain = "tunnel.test"
    static let serverAddress = "127.0.0.61"

    func run() async throws -> String {
        var stops: [() async -> Void] = []
        do {
            let result = try await measure(&stops)
            for stop in stops.reversed() { await stop() }
            return result
        } catch {
            for stop in stops.reversed() { await stop() }
            throw error
        }
    }

    /// Starts the servers (adding how to stop each to `stops`), then measures.
    private func measure(_ stops: inout [() async -> Void]) async throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let failoverDomains = (0..<failovers).map { "f\($0).\(Self.domain)" }
        let ca = try await TestCA.make(in: directory)
        let certificate = try await ca.issue(names: [Self.domain] + failoverDomains, file: "server")
        let dovecot = try await DovecotServer.start(.init(address: Self.serverAddress, greeting: "mailsrvbench", certificate: certificate))
        stops.append { await dovecot.stop() }
        let blackholes = try (0..<failovers).map { try Blackhole(address: "127.0.2.\($0 + 1)") }
        stops.append { blackholes.forEach { $0.close() } }   // also keeps them open until then
        let knot = try await KnotServer.start(signing: false, extraZones: [
            Self.domain: zone(imapsPort: dovecot.imapsPort ?? 0, blackholes: blackholes)])
        stops.append { await knot.stop() }
        let socket = "\(directory)/io.mailsrvd.Discovery"
        try "[Discovery]\n".write(toFile: "\(directory)/mailsrvd.conf", atomically: true, encoding: .utf8)
        let daemonPID = try ReadyTimer.run(notifySocket: "\(directory)/notify", timeoutSeconds: 20, command: [
            daemon, "--log-level", "notice", "--config", "\(directory)/mailsrvd.conf", "--socket", socket, "--dns-server", knot.forwarder,
            "--state-directory", "\(directory)/state", "--cache-directory", "\(directory)/cache"]).pid
        stops.append { kill(daemonPID, SIGTERM); waitpid(daemonPID, nil, 0) }

        // Every lookup the tunnels make is cached from here on.
        let client = try VarlinkClient.connect(to: socket, timeout: .seconds(10))
        for domain in [Self.domain] + failoverDomains {
            if case .failure(let error) = try client.call(DiscoveryInterface.Lookup(email: domain, want: "imaps", clientHost: nil, resolve: nil)) {
                throw BenchError.protocolError("Lookup \(domain): \(error.name)")
            }
        }
        client.close()
        try dovecot.deliver(to: "alice", message: Self.message(bytes: bulkBytes))

        let log = "\(directory)/clients.log"
        let tunnel = { (domain: String) in
            [mailsrvctl, "connect", "alice@\(domain)", "--want", "imaps", "--ca-file", ca.certificateFile, "--socket", socket]
        }
        let direct = ["/usr/bin/openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile", ca.certificateFile,
                      "-verify_hostname", Self.domain, "-connect", "\(Self.serverAddress):\(dovecot.imapsPort ?? 0)"]
        /// Milliseconds to the greeting.
        func greeting(_ command: [String]) throws -> Double {
            let (session, milliseconds) = try ImapSession.open(command, stderrLog: log)
            _ = session.close()
            return milliseconds
        }
        /// Seconds of the FETCH of the large message, and the client's CPU seconds.
        func fetch(_ command: [String]) throws -> (seconds: Double, cpu: Double) {
            let (session, _) = try ImapSession.open(command, stderrLog: log)
            try session.command("a", "LOGIN alice secret")
            try session.command("b", "EXAMINE INBOX")
            let began = monotonicNanoseconds()
            let bytes = try session.command("c", "FETCH 1 BODY.PEEK[]")
            let seconds = Double(monotonicNanoseconds() - began) / 1e9
            guard bytes >= bulkBytes else { throw BenchError.protocolError("FETCH gave \(bytes) bytes, not \(bulkBytes)") }
            return (seconds, session.close())
        }

        // Warm: Dovecot's login process, its index of the message, the page cache.
        _ = try (greeting(tunnel(Self.domain)), greeting(direct), fetch(tunnel(Self.domain)), fetch(direct))
        var json = JSONObjectText()
        var tunnelGreetings: [Double] = [], directGreetings: [Double] = []
        for _ in 0..<pairs {
            tunnelGreetings.append(try greeting(tunnel(Self.domain)))
            directGreetings.append(try greeting(direct))
        }
        json.add("greeting_tunnel_ms", tunnelGreetings)
        json.add("greeting_direct_ms", directGreetings)
        json.add("failover_ms", try failoverDomains.map { try greeting(tunnel($0)) })
        var tunnelFetches: [(seconds: Double, cpu: Double)] = [], directFetches: [(seconds: Double, cpu: Double)] = []
        for _ in 0..<pairs {
            tunnelFetches.append(try fetch(tunnel(Self.domain)))
            directFetches.append(try fetch(direct))
        }
        json.add("bulk_bytes", [Double(bulkBytes)])
        json.add("bulk_tunnel_s", tunnelFetches.map(\.seconds))
        json.add("bulk_direct_s", directFetches.map(\.seconds))
        json.add("bulk_tunnel_cpu_s", tunnelFetches.map(\.cpu))
        json.add("bulk_direct_cpu_s", directFetches.map(\.cpu))
        return json.text
    }

    /// `tunnel.test`: `_imaps._tcp` → Dovecot; each `fN.tunnel.test`: first a blackholed
    /// address of its own (a failure mark of one round cannot help the next), then Dovecot.
    private func zone(imapsPort: UInt16, blackholes: [Blackhole]) -> String {
        var lines = ["@ 3600 SOA ns hostmaster 1 3600 600 86400 60", "@ 3600 NS ns", "ns 3600 A 127.0.0.1",
                     "_imaps._tcp 3600 SRV 0 1 \(imapsPort) imap", "imap 3600 A \(Self.serverAddress)"]
        for (index, blackhole) in blackholes.enumerated() {
            lines += ["_imaps._tcp.f\(index) 3600 SRV 0 1 \(blackhole.port) dead\(index)",
                      "dead\(index) 3600 A \(blackhole.address)",
                      "_imaps._tcp.f\(index) 3600 SRV 10 1 \(imapsPort) imap"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A message of at least `bytes` bytes: headers, then lines of 78 characters.
    private static func message(bytes: Int) -> String {
        let header = "From: bench@tunnel.test\r\nTo: alice@tunnel.test\r\nSubject: bulk\r\n\r\n"
        let line = String(repeating: "x", count: 76) + "\r\n"
        return header + String(repeating: line, count: bytes / line.utf8.count + 1)
    }
}

/// A JSON object of number arrays, written by hand (no Foundation encoder in the tool's output path).
struct JSONObjectText {
    private var members: [String] = []

    mutating func add(_ name: String, _ values: [Double]) {
        members.append("\"\(name)\":[" + values.map { fixed($0, 4) }.joined(separator: ",") + "]")
    }

    var text: String { "{" + members.joined(separator: ",") + "}" }
}
