import FoundationEssentials

/// What a lookup's DNS answers decide once, for as long as they stay fresh: the candidates
/// in tiers of equal rank, each target's addresses, the TTLs. Everything but the random
/// draws (the RFC 2782 shuffle within a tier, the order within an address family), which
/// ``draw(at:source:hostFamilies:using:)`` makes anew for every call.
///
/// `Discovery` keeps the recent ones, so a repeated lookup neither reads the cache entry by
/// entry nor ranks the records again.
struct PreparedLookup: Sendable {
    /// One endpoint before the draw: its addresses per family, without duplicates.
    struct Candidate: Sendable {
        var endpoint: Endpoint
        var ipv6: [String] = []
        var ipv4: [String] = []
    }

    var domain: String
    /// Candidates in tiers of equal rank, best first (``SRVOrdering/tiers(_:clientHost:retrievalOrder:)``).
    var tiers: [[Candidate]]
    var dnssec: DNSSECStatus
    var source: AnswerSource
    /// When the answers were read; the endpoints' `ttl` are seconds left at that time.
    var preparedAt: Date
    /// Seconds after `preparedAt` until the first of the answers used expires.
    var lifetime: Int
    /// How many cached answers it was made of (for the cache's hit counter).
    var answerCount: Int

    /// Whether every answer it was made of is still fresh at `now`.
    func isFresh(at now: Date) -> Bool {
        now.timeIntervalSince(preparedAt) < Double(lifetime)
    }

    /// The lookup's result at `now`: tiers shuffled by weight, addresses ordered, TTLs
    /// counted down (rounding the time passed up, so a TTL is never overstated).
    func draw(at now: Date, source: AnswerSource, hostFamilies: AddressFamilies,
              using random: inout some RandomNumberGenerator) -> LookupResult {
        let candidates = WeightedShuffle.shuffled(tiers: tiers, using: &random) { UInt16($0.endpoint.weight) }
        let endpoints = candidates.map { candidate in
            var endpoint = candidate.endpoint.countedDown(from: preparedAt, to: now)
            endpoint.addresses = AddressOrdering.arrange(ipv6: candidate.ipv6, ipv4: candidate.ipv4,
                                                         hostFamilies: hostFamilies, using: &random)
            return endpoint
        }
        return LookupResult(domain: domain, candidates: endpoints, dnssec: dnssec, source: source,
                            verifyNames: certificateNames(domain: domain, endpoints: endpoints))
    }
}
