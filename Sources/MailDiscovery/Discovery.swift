import FoundationEssentials
import Synchronization

/// Errors of a discovery, named as PROTOCOL.md's errors.
public enum DiscoveryError: Error, Hashable, Sendable {
    case invalidAddress(email: String, reason: AddressError)
    case noService(domain: String, want: String)
    case resolutionFailed(domain: String, reason: String)
    /// `clientHost` is not a host name (letters, digits, hyphens and dots, at most 253 octets).
    case invalidClientHost
}

/// Settings of discovery that are not the cache's or the resolver's.
public struct DiscoverySettings: Hashable, Sendable {
    /// `RetrievalOrder`: IMAP strictly first (default) or RFC 6186 priority order.
    public var retrievalOrder: RetrievalOrder = .imapFirst
    /// The client host for the same-subdomain preference when a call names none:
    /// this host's FQDN (see `LocalHost`).
    public var clientHost: String?
    /// Address families this host can reach, for the address order.
    public var hostFamilies: AddressFamilies

    public init(clientHost: String? = LocalHost.fullyQualifiedName(),
                hostFamilies: AddressFamilies = LocalHost.addressFamilies()) {
        self.clientHost = clientHost
        self.hostFamilies = hostFamilies
    }
}

/// Finds a mail domain's servers (DESIGN.md §1): SRV records of every wanted service in
/// parallel, ordered, then the addresses of every target in parallel, ordered.
///
/// The last ``recentCapacity`` lookups are kept prepared (``PreparedLookup``) while all
/// their answers are fresh: a repeated lookup only makes the random draws and counts the
/// TTLs down. `flush(domain:)` forgets them with the cache.
public final class Discovery: Sendable {
    /// How many distinct (domain, want, client host, resolve) lookups are kept prepared.
    public static let recentCapacity = 1024

    public let resolver: CachingResolver
    public let settings: DiscoverySettings
    private let random: Mutex<SeededGenerator>
    private let recent = Mutex(LRUStore<LookupKey, PreparedLookup>(capacity: Discovery.recentCapacity))

    public init(resolver: CachingResolver, settings: DiscoverySettings, random: SeededGenerator = .seededFromSystem()) {
        self.resolver = resolver
        self.settings = settings
        self.random = Mutex(random)
    }

    /// PROTOCOL.md's `Lookup`. The order among equals is drawn anew on every call.
    public func lookup(email: String, want: Want = .retrieval, clientHost: String? = nil,
                       resolve: Bool = true) async throws(DiscoveryError) -> LookupResult {
        try await lookup(Self.address(email), want: want, clientHost: clientHost, resolve: resolve)
    }

    /// `Lookup` of an address already parsed.
    public func lookup(_ address: MailAddress, want: Want = .retrieval, clientHost: String? = nil,
                       resolve: Bool = true) async throws(DiscoveryError) -> LookupResult {
        let key = try lookupKey(address, want: want, clientHost: clientHost, resolve: resolve)
        if let result = recentResult(key) { return result }
        let generation = resolver.upstreamGeneration
        var plan = LookupPlan(key: key, settings: settings)
        while true {
            let answers = await resolver.results(for: plan.needed)
            if let prepared = try plan.take(answers, now: resolver.time.now()) {
                return result(of: prepared, key: key, generation: generation)
            }
        }
    }

    /// `Lookup` answered from fresh cache entries only, without waiting: nil when any
    /// answer it needs is missing or expired (then `lookup` must go to DNS).
    public func cachedLookup(email: String, want: Want = .retrieval, clientHost: String? = nil,
                             resolve: Bool = true) throws(DiscoveryError) -> LookupResult? {
        let key = try lookupKey(try Self.address(email), want: want, clientHost: clientHost, resolve: resolve)
        if let result = recentResult(key) { return result }
        let generation = resolver.upstreamGeneration
        var plan = LookupPlan(key: key, settings: settings)
        while true {
            guard let answers = resolver.freshResults(for: plan.needed) else { return nil }
            if let prepared = try plan.take(answers, now: resolver.time.now()) {
                return result(of: prepared, key: key, generation: generation)
            }
        }
    }

    /// Drops the cached answers of `domain` (and names below it), or all, and every
    /// prepared lookup; returns how many cache entries went.
    public func flush(domain: String?) -> Int {
        recent.withLock { $0.removeAll() }
        return resolver.flush(domain: domain)
    }

    /// The upstream servers changed: every cached answer becomes stale
    /// (`CachingResolver.upstreamsChanged`) and every prepared lookup goes.
    public func upstreamsChanged() {
        resolver.upstreamsChanged()
        recent.withLock { $0.removeAll() }
    }

    /// `email` parsed, or `invalidAddress`.
    public static func address(_ email: String) throws(DiscoveryError) -> MailAddress {
        do {
            return try MailAddress(parsing: email)
        } catch {
            throw .invalidAddress(email: email, reason: error)
        }
    }

    /// The key of a lookup; `invalidClientHost` for a client host that is not a host name.
    private func lookupKey(_ address: MailAddress, want: Want, clientHost: String?,
                           resolve: Bool) throws(DiscoveryError) -> LookupKey {
        if let clientHost, !Self.isHostName(clientHost) { throw .invalidClientHost }
        return LookupKey(domain: address.domain, want: want, clientHost: clientHost ?? settings.clientHost, resolve: resolve)
    }

    /// Letters, digits, hyphens and dots, 1 to 253 octets: what may be a host name.
    static func isHostName(_ text: String) -> Bool {
        (1...253).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (0x61...0x7A).contains(byte | 0x20) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x2E
        }
    }

    /// A fresh prepared lookup's result, counted as cache hits; nil if there is none.
    private func recentResult(_ key: LookupKey) -> LookupResult? {
        let now = resolver.time.now()
        guard let prepared = recent.withLock({ recent -> PreparedLookup? in
            guard let prepared = recent.get(key) else { return nil }
            guard prepared.isFresh(at: now) else {
                recent.remove(key)
                return nil
            }
            return prepared
        }) else { return nil }
        resolver.countHits(prepared.answerCount)
        return draw(prepared, at: now, source: .cache)
    }

    /// The result of a lookup just prepared; kept for the next calls if it can be: not
    /// when the upstream servers changed since it began (`generation`). Checked under
    /// the lock `upstreamsChanged` empties the prepared lookups with, after the change.
    private func result(of prepared: PreparedLookup, key: LookupKey, generation: Int) -> LookupResult {
        if prepared.source != .stale, prepared.lifetime > 0 {
            recent.withLock { recent in
                if resolver.upstreamGeneration == generation { recent.set(key, prepared) }
            }
        }
        return draw(prepared, at: prepared.preparedAt, source: prepared.source)
    }

    private func draw(_ prepared: PreparedLookup, at now: Date, source: AnswerSource) -> LookupResult {
        random.withLock { random in
            prepared.draw(at: now, source: source, hostFamilies: settings.hostFamilies, using: &random)
        }
    }
}

/// What makes two lookups give the same prepared answer.
private struct LookupKey: Hashable, Sendable {
    var domain: String
    var want: Want
    /// The client host for the same-subdomain preference (the call's, or this host's).
    var clientHost: String?
    var resolve: Bool
}

/// The steps of one lookup, apart from how answers are fetched: which DNS answers it
/// needs next (``needed``), and what it makes of them (``take(_:now:)``). `lookup` and
/// `cachedLookup` both run it, so they follow the same rules.
private struct LookupPlan {
    private enum Stage {
        /// Waiting for the SRV answers of these services, by key.
        case services([(service: MailService, key: CacheKey)])
        /// Ranked candidates waiting for their targets' addresses.
        case addresses(tiers: [[PreparedLookup.Candidate]], services: ServiceAnswers)
    }

    private let domain: String
    private let want: Want
    private let clientHost: String?
    private let resolve: Bool
    private let settings: DiscoverySettings
    private var stage: Stage
    /// The questions whose answers ``take(_:now:)`` wants next.
    private(set) var needed: [CacheKey]

    init(key: LookupKey, settings: DiscoverySettings) {
        domain = key.domain
        want = key.want
        clientHost = key.clientHost
        resolve = key.resolve
        self.settings = settings
        let services = want.services.map { [domain] in ($0, CacheKey(name: $0.srvName(at: domain), type: .srv)) }
        stage = .services(services)
        needed = services.map(\.1)
    }

    /// Takes the answers to ``needed`` (read at `now`): returns the prepared lookup when
    /// complete, else nil with ``needed`` set to the next questions.
    mutating func take(_ results: [CacheKey: Result<ResolvedAnswer, ResolutionFailure>],
                       now: Date) throws(DiscoveryError) -> PreparedLookup? {
        switch stage {
        case .services(let services):
            let answers = try ServiceAnswers(services, results: results, domain: domain)
            let tiers = SRVOrdering.tiers(answers.usable, clientHost: clientHost,
                                          retrievalOrder: settings.retrievalOrder).map { tier in
                tier.map { item in
                    let srv = answers.answers[item.service]!
                    return PreparedLookup.Candidate(endpoint: Endpoint(
                        service: item.service, record: item.record, ttl: srv.ttl, srvDNSSEC: srv.answer.dnssec))
                }
            }
            guard !tiers.isEmpty else { throw .noService(domain: domain, want: want.name) }
            guard resolve else {
                return prepared(tiers, answers: Array(answers.answers.values), services: answers, now: now)
            }
            stage = .addresses(tiers: tiers, services: answers)
            needed = Set(tiers.joined().map(\.endpoint.host)).flatMap {
                [CacheKey(name: $0, type: .aaaa), CacheKey(name: $0, type: .a)]
            }
            return nil
        case .addresses(let tiers, let services):
            let targets = try TargetAddresses(results, domain: domain)
            let addressed = tiers.map { $0.compactMap(targets.addressed) }.filter { !$0.isEmpty }
            guard !addressed.isEmpty else { throw .noService(domain: domain, want: want.name) }
            return prepared(addressed, answers: Array(services.answers.values) + targets.answers.values,
                            services: services, now: now)
        }
    }

    private func prepared(_ tiers: [[PreparedLookup.Candidate]], answers: [ResolvedAnswer],
                          services: ServiceAnswers, now: Date) -> PreparedLookup {
        PreparedLookup(domain: domain, tiers: tiers,
                       dnssec: combinedDNSSEC(services.answers.values.map(\.answer.dnssec)),
                       source: answers.map(\.source).max()!, preparedAt: now,
                       lifetime: answers.map(\.ttl).min()!, answerCount: answers.count)
    }
}

/// The SRV answers of one lookup, by service.
private struct ServiceAnswers {
    var answers: [MailService: ResolvedAnswer]

    /// Any failure fails the lookup: ordering on a partial answer could silently prefer a
    /// weaker service.
    init(_ services: [(service: MailService, key: CacheKey)],
         results: [CacheKey: Result<ResolvedAnswer, ResolutionFailure>], domain: String) throws(DiscoveryError) {
        answers = [:]
        for (service, key) in services {
            switch results[key]! {
            case .success(let answer): answers[service] = answer
            case .failure(let failure): throw .resolutionFailed(domain: domain, reason: failure.reason)
            }
        }
    }

    /// The SRV records of the services that have some.
    var usable: [MailService: [SRVRecord]] {
        answers.compactMapValues { $0.answer.outcome == .records ? $0.answer.services : nil }
    }
}

/// The address answers of one lookup, by (host, type).
private struct TargetAddresses {
    var answers: [CacheKey: ResolvedAnswer]

    /// A target whose address query failed is treated as having no address; if every
    /// query failed, the lookup fails.
    init(_ results: [CacheKey: Result<ResolvedAnswer, ResolutionFailure>], domain: String) throws(DiscoveryError) {
        answers = [:]
        var lastFailure: ResolutionFailure?
        for (key, result) in results {
            switch result {
            case .success(let answer): answers[key] = answer
            case .failure(let failure): lastFailure = failure
            }
        }
        if answers.isEmpty, let lastFailure {
            throw .resolutionFailed(domain: domain, reason: lastFailure.reason)
        }
    }

    /// `candidate` with its target's addresses (without duplicates) and its TTL lowered to
    /// the shortest address record; nil when the target has no address.
    func addressed(_ candidate: PreparedLookup.Candidate) -> PreparedLookup.Candidate? {
        let ipv6 = answers[CacheKey(name: candidate.endpoint.host, type: .aaaa)]
        let ipv4 = answers[CacheKey(name: candidate.endpoint.host, type: .a)]
        let found = [ipv6, ipv4].compactMap { $0 }.filter { !$0.answer.addresses.isEmpty }
        guard !found.isEmpty else { return nil }
        var candidate = candidate
        candidate.ipv6 = AddressOrdering.unique(ipv6?.answer.addresses ?? [])
        candidate.ipv4 = AddressOrdering.unique(ipv4?.answer.addresses ?? [])
        candidate.endpoint.ttl = found.map(\.ttl).reduce(candidate.endpoint.ttl, min)
        return candidate
    }
}
