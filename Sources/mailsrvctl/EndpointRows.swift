import MailSRVInterface

/// The columns mailsrvctl shows for an `Endpoint`.
enum EndpointRows {
    static let header = ["SERVICE", "TLS", "HOST", "PORT", "PRIO", "WEIGHT", "TTL", "ADDRESSES"]
    static let numericColumns: Set<Int> = [3, 4, 5, 6]

    static func row(_ endpoint: DiscoveryInterface.Endpoint) -> [String] {
        [endpoint.service, endpoint.tls, endpoint.host, String(endpoint.port), String(endpoint.priority),
         String(endpoint.weight), String(endpoint.ttl),
         endpoint.addresses.isEmpty ? "-" : endpoint.addresses.joined(separator: " ")]
    }

    static func table(_ endpoints: [DiscoveryInterface.Endpoint]) -> Table {
        Table(header: header, rows: endpoints.map(row), rightAligned: numericColumns)
    }
}
