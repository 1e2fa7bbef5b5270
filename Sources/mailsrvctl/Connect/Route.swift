import MailSRVInterface

/// One place to connect to: an endpoint of the lease and one of its addresses.
struct Route: Equatable, CustomStringConvertible {
    var service: String
    /// "implicit" or "starttls".
    var tls: String
    var host: String
    var port: Int
    var address: String

    /// An endpoint of the daemon's reply and one of its addresses.
    init(_ endpoint: DiscoveryInterface.Endpoint, address: String) {
        service = endpoint.service
        tls = endpoint.tls
        host = endpoint.host
        port = endpoint.port
        self.address = address
    }

    var description: String {
        let shown = address.contains(":") ? "[\(address)]" : address
        return "\(host) (\(shown) port \(port), \(service))"
    }
}
