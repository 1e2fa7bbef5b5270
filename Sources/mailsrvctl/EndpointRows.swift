import Varlink

/// The columns mailsrvctl shows for an `Endpoint`.
enum EndpointRows {
    static let header = ["SERVICE", "TLS", "HOST", "PORT", "PRIO", "WEIGHT", "TTL", "ADDRESSES"]
    static let numericColumns: Set<Int> = [3, 4, 5, 6]

    static func row(_ endpoint: JSONValue?) -> [String] {
        let string = { (name: String) in endpoint?[name]?.stringValue ?? "" }
        let number = { (name: String) in endpoint?[name]?.intValue.map(String.init) ?? "" }
        let addresses = endpoint?["addresses"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return [string("service"), string("tls"), string("host"), number("port"), number("priority"),
                number("weight"), number("ttl"), addresses.isEmpty ? "-" : addresses.joined(separator: " ")]
    }

    static func table(_ endpoints: [JSONValue]) -> Table {
        Table(header: header, rows: endpoints.map { row($0) }, rightAligned: numericColumns)
    }
}
