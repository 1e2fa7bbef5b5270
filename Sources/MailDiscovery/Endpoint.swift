import FoundationEssentials

/// One way to reach a mail service: PROTOCOL.md's `Endpoint`.
public struct Endpoint: Hashable, Codable, Sendable {
    public var service: MailService
    public var tls: MailService.TLSMode
    /// SRV target: lower-case A-label form, no trailing dot.
    public var host: String
    public var port: Int
    public var priority: Int
    public var weight: Int
    /// The target's addresses, in the order to try (DESIGN.md §1.6).
    public var addresses: [String]
    /// Seconds left of the shorter of its SRV and address records; 0 when stale.
    public var ttl: Int
    /// DNSSEC status of the SRV answer this endpoint came from. Not on the wire (see the
    /// daemon's `WireEncoding`): it decides whether `host` is a name the certificate may
    /// present (RFC 7817).
    public var srvDNSSEC: DNSSECStatus

    public init(service: MailService, record: SRVRecord, addresses: [String] = [], ttl: Int,
                srvDNSSEC: DNSSECStatus) {
        self.service = service
        self.tls = service.tls
        self.host = record.target
        self.port = Int(record.port)
        self.priority = Int(record.priority)
        self.weight = Int(record.weight)
        self.addresses = addresses
        self.ttl = ttl
        self.srvDNSSEC = srvDNSSEC
    }

    /// This endpoint as seen at `now`, when its `ttl` was the seconds left at `learnedAt`:
    /// the time passed is rounded up, so a TTL is never overstated; 0 once expired.
    public func countedDown(from learnedAt: Date, to now: Date) -> Endpoint {
        var endpoint = self
        let elapsed = max(0, now.timeIntervalSince(learnedAt).rounded(.up))
        endpoint.ttl = elapsed < Double(ttl) ? ttl - Int(elapsed) : 0
        return endpoint
    }
}
