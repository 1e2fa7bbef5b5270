/// One place to connect to: an endpoint of the lease and one of its addresses.
struct Route: Equatable, CustomStringConvertible {
    var service: String
    /// "implicit" or "starttls".
    var tls: String
    var host: String
    var port: Int
    var address: String

    var description: String {
        let shown = address.contains(":") ? "[\(address)]" : address
        return "\(host) (\(shown) port \(port), \(service))"
    }
}
