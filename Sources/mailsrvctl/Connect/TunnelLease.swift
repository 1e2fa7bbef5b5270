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
        var parameters: JSONObject = ["email": .string(email), "want": .string(want)]
        if let clientHost { parameters["clientHost"] = .string(clientHost) }
        let reply = try Self.call(client, .acquire, parameters)
        guard let lease = reply["lease"]?.stringValue, let route = Self.route(reply) else {
            throw .temporary("mailsrvd's Acquire reply lacks a lease or endpoint")
        }
        self.client = client
        self.lease = lease
        self.current = route
        self.only = only
        verifyNames = reply["verifyNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        routes = only == nil || only == route.service ? [route] : []
        domain = email.split(separator: "@").last.map { String($0).lowercased() } ?? email
        guard reply["reused"]?.boolValue != true else { return }
        var lookup = parameters
        lookup["resolve"] = true
        let found = try? Self.call(client, .lookup, lookup)
        if let name = found?["domain"]?.stringValue { domain = name }
        let candidates = found?["candidates"]?.arrayValue ?? []
        for endpoint in candidates {
            for address in endpoint["addresses"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if let other = Self.route(["endpoint": endpoint, "address": .string(address)]), other != route,
                   only == nil || only == other.service {
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
            let reply = try Self.call(client, .report, ["lease": .string(lease), "outcome": "failed"])
            guard let next = Self.route(reply) else { return nil }
            current = next
            return next
        } catch .unavailable {
            return nil   // Exhausted
        }
    }

    /// Reports the lease's route connected: the pin of this uid holds it.
    private func reportConnected() throws(TunnelError) {
        _ = try Self.call(client, .report, ["lease": .string(lease), "outcome": "connected"])
    }

    private static func route(_ reply: JSONObject) -> Route? {
        guard let endpoint = reply["endpoint"], let address = reply["address"]?.stringValue,
              let service = endpoint["service"]?.stringValue, let tls = endpoint["tls"]?.stringValue,
              let host = endpoint["host"]?.stringValue, let port = endpoint["port"]?.intValue else { return nil }
        return Route(service: service, tls: tls, host: host, port: port, address: address)
    }

    /// One call; an error reply becomes the tunnel's error and exit code.
    private static func call(_ client: VarlinkClient, _ method: DiscoveryInterface.Method,
                             _ parameters: JSONObject) throws(TunnelError) -> JSONObject {
        let reply: VarlinkReply
        do {
            reply = try client.call(method.qualifiedName, parameters)
        } catch {
            throw .temporary("mailsrvd: \(error)")
        }
        guard let error = reply.varlinkError else { return reply.parameters }
        let text = { (name: String) in error.parameters[name]?.stringValue ?? "?" }
        switch DiscoveryInterface.Error(qualifiedName: error.name) {
        case .invalidAddress?: throw .noHost("not an email address or domain: \(text("email"))")
        case .noService?: throw .unavailable("\(text("domain")) offers no \(text("want")) service")
        case .exhausted?: throw .unavailable("every server of \(text("domain")) has failed")
        case .resolutionFailed?: throw .temporary("cannot resolve \(text("domain")): \(text("reason"))")
        case .tooManyRequests?: throw .temporary("mailsrvd: too many requests from this user")
        default: throw .temporary("mailsrvd answered \(error.name)")
        }
    }
}
