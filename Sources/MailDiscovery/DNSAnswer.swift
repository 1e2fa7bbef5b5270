import FoundationEssentials

/// The record types mailsrvd asks for.
public enum RecordType: String, Codable, Sendable, Hashable, CaseIterable {
    case srv = "SRV"
    case a = "A"
    case aaaa = "AAAA"
}

/// DNSSEC validation result of one answer, in libunbound's words.
public enum DNSSECStatus: String, Codable, Sendable, Hashable {
    /// Validated up to a trust anchor.
    case secure
    /// Unsigned (or validation is off).
    case insecure
    /// Signed, but validation failed.
    case bogus
}

/// One SRV record (RFC 2782). `target` is lower case, without the trailing dot; the root
/// target ("service not offered") is `"."`.
public struct SRVRecord: Hashable, Codable, Sendable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    /// True for the "." target: the service is explicitly not offered (RFC 2782, RFC 6186 §3.4).
    public var isNotOffered: Bool { target == "." }
}

/// The answer to one (name, type) question, as the resolver reported it.
public struct DNSAnswer: Hashable, Codable, Sendable {
    public enum Outcome: String, Codable, Sendable, Hashable {
        /// NOERROR with records.
        case records
        /// NOERROR without records of the asked type (NODATA).
        case noData
        /// NXDOMAIN.
        case noDomain
    }

    public var outcome: Outcome
    /// SRV records, for an SRV question with outcome `.records`.
    public var services: [SRVRecord]
    /// Addresses in text form (`inet_ntop`), for an A or AAAA question with outcome `.records`.
    public var addresses: [String]
    /// Seconds the answer may be cached: the minimum record TTL, or for a negative answer
    /// the SOA-derived negative TTL (RFC 2308).
    public var ttl: UInt32
    public var dnssec: DNSSECStatus

    public init(outcome: Outcome, services: [SRVRecord] = [], addresses: [String] = [],
                ttl: UInt32, dnssec: DNSSECStatus) {
        self.outcome = outcome
        self.services = services
        self.addresses = addresses
        self.ttl = ttl
        self.dnssec = dnssec
    }

    /// NXDOMAIN or NODATA.
    public var isNegative: Bool { outcome != .records }

    /// This answer cut to what `settings` let one answer hold: the first
    /// `maxAddressesPerAnswer` addresses, the best `maxRecordsPerAnswer` SRV records
    /// (lowest priority, then highest weight), a TTL of at most `CacheSettings.maxTTL`.
    public func bounded(by settings: CacheSettings) -> DNSAnswer {
        var answer = self
        answer.ttl = min(ttl, CacheSettings.maxTTL)
        if addresses.count > settings.maxAddressesPerAnswer {
            answer.addresses = Array(addresses.prefix(settings.maxAddressesPerAnswer))
        }
        if services.count > settings.maxRecordsPerAnswer {
            answer.services = Array(services.sorted {
                ($0.priority, UInt16.max - $0.weight) < ($1.priority, UInt16.max - $1.weight)
            }.prefix(settings.maxRecordsPerAnswer))
        }
        return answer
    }
}
