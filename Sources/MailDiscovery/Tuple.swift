/// One (endpoint, address) to connect to.
public struct Tuple: Hashable, Sendable {
    public var endpoint: Endpoint
    public var address: String
    public init(endpoint: Endpoint, address: String) {
        self.endpoint = endpoint
        self.address = address
    }

    /// What a failure mark is about: the same server address, whatever the service.
    var target: FailureTarget { FailureTarget(host: endpoint.host, address: address) }

    /// How a client names this tuple in `Report`.
    public var destination: Destination {
        Destination(host: endpoint.host, port: endpoint.port, address: address)
    }
}

/// A (host, address) a uid reported failed: avoided by its pins until the mark expires.
struct FailureTarget: Hashable, Codable, Sendable {
    var host: String
    var address: String
}
