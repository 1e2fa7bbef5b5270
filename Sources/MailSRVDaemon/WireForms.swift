import MailDiscovery
import MailSRVInterface

/// The engine's values in the interface's types (`MailSRVInterface`), which write
/// themselves straight into a reply's bytes.
extension DiscoveryInterface.Endpoint {
    init(_ endpoint: Endpoint) {
        self.init(service: endpoint.service.rawValue, tls: endpoint.tls.rawValue, host: endpoint.host,
                  port: endpoint.port, priority: endpoint.priority, weight: endpoint.weight,
                  addresses: endpoint.addresses, ttl: endpoint.ttl)
    }
}

extension DiscoveryInterface.Route {
    init(_ route: MailDiscovery.Route) {
        self.init(endpoint: DiscoveryInterface.Endpoint(route.tuple.endpoint), address: route.tuple.address,
                  verifyNames: route.verifyNames)
    }
}

extension DiscoveryInterface.Lease {
    init(_ lease: Lease) {
        self.init(lease: lease.id, email: lease.email, want: lease.pin.want,
                  endpoint: DiscoveryInterface.Endpoint(lease.tuple.endpoint),
                  address: lease.tuple.address, state: lease.state.rawValue)
    }
}

extension DiscoveryInterface.LookupReply {
    init(_ result: LookupResult) {
        self.init(domain: result.domain, candidates: result.candidates.map(DiscoveryInterface.Endpoint.init),
                  dnssec: result.dnssec.rawValue, source: result.source.rawValue, verifyNames: result.verifyNames)
    }

    /// A guess of the reply's size, so its bytes are written without growing.
    var capacity: Int { 256 + 192 * candidates.count }
}
