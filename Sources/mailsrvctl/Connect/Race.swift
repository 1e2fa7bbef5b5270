import Glibc

/// Connects to the first route that works, RFC 8305 style: the next route is tried when
/// the previous one failed, or when 250 ms passed and no attempt has its TCP connection yet;
/// attempts run side by side, the first whose session is ready (greeting over TLS) wins, the
/// others are closed. Draft-hall §4.1 g's order (all addresses of a host first) is the
/// order of the routes.
struct Race {
    /// RFC 8305's connection attempt delay.
    static let attemptDelay: Duration = .milliseconds(250)

    let policy: Attempt.Policy
    let lease: TunnelLease

    /// The winning attempt's route, transport and first bytes for the client; or why every route failed.
    func run() throws(TunnelError) -> (Route, Transport, [UInt8]) {
        var waiting = lease.routes
        var running: [Attempt] = []
        var failures: [Failure] = []
        var lastStart = ContinuousClock.now - Self.attemptDelay
        while true {
            let noneConnecting = running.allSatisfy { !$0.tcpConnected }
            if running.isEmpty || (noneConnecting && ContinuousClock.now - lastStart >= Self.attemptDelay) {
                if !waiting.isEmpty {
                    let attempt = Attempt(route: waiting.removeFirst(), policy: policy)
                    attempt.advance()
                    running.append(attempt)
                    lastStart = .now
                }
            }
            for attempt in running where attempt.isFinished {
                switch attempt.state {
                case .connected(let transport, let greeting):
                    for other in running where other !== attempt { other.abandon() }
                    try lease.connected(attempt.route)
                    return (attempt.route, transport, greeting)
                case .failed(let reason):
                    failures.append(Failure(route: attempt.route, reason: reason, namesTarget: attempt.certificateNamesTarget))
                    try lease.failed(attempt.route)
                default: break
                }
            }
            running.removeAll { $0.isFinished }
            if running.isEmpty && waiting.isEmpty {
                waiting = lease.more()
                if !waiting.isEmpty { continue }
                throw .unavailable(Self.explain(failures, verifyNames: policy.verifyNames, domain: lease.domain))
            }
            wait(for: running, nextStart: waiting.isEmpty ? nil : lastStart + Self.attemptDelay)
            for attempt in running { attempt.advance() }
        }
    }

    /// Polls the running attempts until one is ready, a deadline passes or the next start is due.
    private func wait(for running: [Attempt], nextStart: ContinuousClock.Instant?) {
        var fds = running.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        var until = running.map(\.deadline).min() ?? .now
        if let nextStart, running.allSatisfy({ !$0.tcpConnected }) { until = min(until, nextStart) }
        let left = until - .now
        let milliseconds = max(0, Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
        _ = poll(&fds, nfds_t(fds.count), milliseconds)
    }

    /// A route that failed, and whether its certificate failed only on the name and names the SRV target.
    struct Failure {
        var route: Route
        var reason: String
        var namesTarget: Bool
    }

    /// The one line that says why no route worked; for a certificate that failed only on its
    /// name and names its SRV target, the `mailsrvctl trust` command that would accept it.
    static func explain(_ failures: [Failure], verifyNames: [String], domain: String) -> String {
        guard let last = failures.last else { return "no server of \(domain) to connect to" }
        var text = "no server of \(domain) could be used; last: \(last.route): \(last.reason)"
        if let named = failures.first(where: \.namesTarget) {
            text += "; the certificate of \(named.route.host) is otherwise valid: to accept \(named.route.host) "
                + "as a server of \(domain), run: mailsrvctl trust \(domain) \(named.route.host)"
        }
        return text
    }
}
