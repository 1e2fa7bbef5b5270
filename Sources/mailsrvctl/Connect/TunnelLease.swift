import MailSRVInterface
import Varlink

/// The tunnel's lease, and the only place `connect` speaks Varlink: Acquire, Lookup, Report.
/// The lease ends when the process ends (the daemon releases a closed connection's leases).
///
/// The routes to race are the lease's route, then — unless the lease reuses a pin — the
/// rest of the candidates of a Lookup for the same want, address by address. Reports walk
/// the lease: when a later route wins, the lease is reported failed until it points there
/// (those routes failed or lost the race), then connected.
final class TunnelLease {
    let lease: String
    let verifyNames: [String]
    /// The mail domain (for messages).
    private(set) var domain: String
    /// The routes to try, in order.
    private(set) var routes: [Route]
    /// The route the lease points at now.
    private(set) var current: Route
    private let client: VarlinkClient

    /// Services the tunnel may use; nil: all of the want. (On the wire `submission` is the
    /// group, so `--want submission` is this filter: a route of another service is skipped,
    /// which reports it failed when the lease points at it.)
    private let only: String?

    /// Acquires a lease for `email` and `want` over `client`.
    init(client: VarlinkClient, email: String, want: String, only: String?, clientHost: String?) throws(TunnelError) {
        let reply = try Self.call(client, DiscoveryInterface.Acquire(
            email: email, want: want, clientHost: clientHost, alternatives: nil))
        let route = Route(reply.endpoint, address: reply.address)
        self.client = client
        self.lease = reply.lease
        self.current = route
        self.only = only
        verifyNames = reply.verifyNames
        routes = only == nil || only == route.service ? [route] : []
        domain = email.split(separator: "@").last.map { String($0).lowercased() } ?? email
        guard !reply.reused else { return }
        let found = try? Self.call(client, DiscoveryInterface.Lookup(
            email: email, want: want, clientHost: clientHost, resolve: true))
        if let found { domain = found.domain }
        for endpoint in found?.candidates ?? [] {
            for address in endpoint.addresses {
                let other = Route(endpoint, address: address)
                if other != route, only == nil || only == other.service {
                    routes.append(other)
                }
            }
        }
    }

    /// A route not in `tried` to try after every known one failed: the lease's next (each
    /// failed route is reported); nil when the daemon says none is left.
    func next(after tried: [Route]) throws(TunnelError) -> Route? {
        while true {
            if !tried.contains(current) && (only == nil || only == current.service) { return current }
            guard try reportFailed() != nil else { return nil }
        }
    }

    /// Moves the lease to `route` (reporting the routes before it failed) and reports it
    /// connected, so that the uid's pin holds it.
    func connected(_ route: Route) throws(TunnelError) {
        while current != route {
            guard try reportFailed() != nil else { return }
        }
        try reportConnected()
    }

    /// Reports the lease's route failed; returns the next one, nil when none is left.
    private func reportFailed() throws(TunnelError) -> Route? {
        do {
            let reply = try Self.call(client, DiscoveryInterface.Report(lease: lease, outcome: "failed"))
            guard let endpoint = reply.endpoint, let address = reply.address else { return nil }
            current = Route(endpoint, address: address)
            return current
        } catch .unavailable {
            return nil   // Exhausted
        }
    }

    /// Reports the lease's route connected: the pin of this uid holds it.
    private func reportConnected() throws(TunnelError) {
        _ = try Self.call(client, DiscoveryInterface.Report(lease: lease, outcome: "connected"))
    }

    /// One call; an error reply becomes the tunnel's error and exit code.
    private static func call<Call: DiscoveryCall>(_ client: VarlinkClient, _ call: Call) throws(TunnelError) -> Call.Reply {
        let reply: VarlinkReply
        do {
            reply = try client.call(Call.qualifiedMethodName, call.parameters)
        } catch {
            throw .temporary("mailsrvd: \(error)")
        }
        guard let error = reply.varlinkError else {
            do {
                return try Call.Reply(parameters: reply.parameters)
            } catch {
                throw .temporary("mailsrvd sent an unexpected reply to \(Call.method.rawValue): \(error)")
            }
        }
        switch try? DiscoveryInterface.Failure(error) {
        case .invalidAddress(let error)?: throw .noHost("not an email address or domain: \(error.email)")
        case .noService(let error)?: throw .unavailable("\(error.domain) offers no \(error.want) service")
        case .exhausted(let error)?: throw .unavailable("every server of \(error.domain) has failed")
        case .resolutionFailed(let error)?: throw .temporary("cannot resolve \(error.domain): \(error.reason)")
        case .tooManyRequests?: throw .temporary("mailsrvd: too many requests from this user")
        default: throw .temporary("mailsrvd answered \(error.name)")
        }
    }
}
