/// What a client names when it reports on one tuple of its lease's pin order rather than
/// on the lease's current one (PROTOCOL.md's `Report` with `host`, `port`, `address`):
/// enough to tell the tuples of one pin apart.
public struct Destination: Hashable, Sendable {
    public var host: String
    public var port: Int
    public var address: String

    public init(host: String, port: Int, address: String) {
        self.host = host
        self.port = port
        self.address = address
    }
}
