/// PROTOCOL.md's `Lookup` reply: every usable endpoint of a mail domain, best first.
public struct LookupResult: Hashable, Sendable {
    /// The mail domain, A-label form.
    public var domain: String
    public var candidates: [Endpoint]
    /// `bogus` if any SRV answer is bogus, `secure` if all are secure, else `insecure`.
    public var dnssec: DNSSECStatus
    /// The worst source among the answers used: `stale` over `dns` over `cache`.
    public var source: AnswerSource
    /// Names the server certificate may present (RFC 7817).
    public var verifyNames: [String]

    public init(domain: String, candidates: [Endpoint], dnssec: DNSSECStatus,
                source: AnswerSource, verifyNames: [String]) {
        self.domain = domain
        self.candidates = candidates
        self.dnssec = dnssec
        self.source = source
        self.verifyNames = verifyNames
    }
}

/// The names a mail server's certificate may present (RFC 7817 §3, draft-hall §6): always
/// the mail domain; an SRV target only when its SRV answer was DNSSEC-secure, because
/// only then does the target come from the domain owner and not from whoever answered.
public func certificateNames(domain: String, endpoints: [Endpoint]) -> [String] {
    var names = [domain]
    for endpoint in endpoints where endpoint.srvDNSSEC == .secure && !names.contains(endpoint.host) {
        names.append(endpoint.host)
    }
    return names
}

/// The DNSSEC status of a set of answers (DESIGN.md §1.8).
public func combinedDNSSEC(_ statuses: some Sequence<DNSSECStatus>) -> DNSSECStatus {
    var all = Array(statuses)
    if all.isEmpty { all = [.insecure] }
    if all.contains(.bogus) { return .bogus }
    return all.allSatisfy { $0 == .secure } ? .secure : .insecure
}
