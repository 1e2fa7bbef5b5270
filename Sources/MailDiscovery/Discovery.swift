import Synchronization

/// Errors of a discovery, named as PROTOCOL.md's errors.
public enum DiscoveryError: Error, Hashable, Sendable {
    case invalidAddress(email: String, reason: AddressError)
    case noService(domain: String, want: String)
    case resolutionFailed(domain: String, reason: String)
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
public final class Discovery: Sendable {
    public let resolver: CachingResolver
    public let settings: DiscoverySettings
    private let random: Mutex<RandomSource>

    public init(resolver: CachingResolver, settings: DiscoverySettings, random: RandomSource = .system) {
        self.resolver = resolver
        self.settings = settings
        self.random = Mutex(random)
    }

    /// PROTOCOL.md's `Lookup`. The order among equals is drawn anew on every call.
    public func lookup(email: String, want: Want = .retrieval, clientHost: String? = nil,
                       resolve: Bool = true) async throws(DiscoveryError) -> LookupResult {
        let domain: String
        do {
            domain = try MailAddress(parsing: email).domain
        } catch {
            throw .invalidAddress(email: email, reason: error)
        }
        let services = try await resolveServices(want.services, domain: domain)
        let records = random.withLock { random in
            SRVOrdering.order(services.usable, clientHost: clientHost ?? settings.clientHost,
                              retrievalOrder: settings.retrievalOrder, using: &random)
        }
        guard !records.isEmpty else { throw .noService(domain: domain, want: want.name) }

        var candidates = records.map { item in
            let srv = services.answers[item.service]!
            return Endpoint(service: item.service, record: item.record, ttl: srv.ttl,
                            srvDNSSEC: srv.answer.dnssec)
        }
        var source = services.answers.values.map(\.source).max()!
        if resolve {
            let targets = try await resolveAddresses(of: Set(candidates.map(\.host)), domain: domain)
            candidates = random.withLock { random in
                candidates.compactMap { targets.endpoint($0, hostFamilies: settings.hostFamilies, using: &random) }
            }
            source = max(source, targets.source)
            guard !candidates.isEmpty else { throw .noService(domain: domain, want: want.name) }
        }
        return LookupResult(domain: domain, candidates: candidates,
                            dnssec: combinedDNSSEC(services.answers.values.map(\.answer.dnssec)),
                            source: source, verifyNames: certificateNames(domain: domain, endpoints: candidates))
    }

    /// The SRV answers of `services`, all at once. Any failure fails the lookup: ordering
    /// on a partial answer could silently prefer a weaker service.
    private func resolveServices(_ services: [MailService], domain: String)
        async throws(DiscoveryError) -> ServiceAnswers {
        let keys = services.map { CacheKey(name: $0.srvName(at: domain), type: .srv) }
        let results = await resolver.results(for: keys)
        var answers: [MailService: ResolvedAnswer] = [:]
        for (service, key) in zip(services, keys) {
            switch results[key]! {
            case .success(let answer): answers[service] = answer
            case .failure(let failure): throw .resolutionFailed(domain: domain, reason: failure.reason)
            }
        }
        return ServiceAnswers(answers: answers)
    }

    /// AAAA and A of every target, all at once. A target whose address query failed is
    /// treated as having no address; if every query failed, the lookup fails.
    private func resolveAddresses(of hosts: Set<String>, domain: String) async throws(DiscoveryError) -> TargetAddresses {
        let keys = hosts.flatMap { [CacheKey(name: $0, type: .aaaa), CacheKey(name: $0, type: .a)] }
        var answers: [CacheKey: ResolvedAnswer] = [:]
        var lastFailure: ResolutionFailure?
        for (key, result) in await resolver.results(for: keys) {
            switch result {
            case .success(let answer): answers[key] = answer
            case .failure(let failure): lastFailure = failure
            }
        }
        if answers.isEmpty, let lastFailure {
            throw .resolutionFailed(domain: domain, reason: lastFailure.reason)
        }
        return TargetAddresses(answers: answers)
    }
}

/// The SRV answers of one lookup, by service.
private struct ServiceAnswers {
    var answers: [MailService: ResolvedAnswer]

    /// The SRV records of the services that have some.
    var usable: [MailService: [SRVRecord]] {
        answers.compactMapValues { $0.answer.outcome == .records ? $0.answer.services : nil }
    }
}

/// The address answers of one lookup, by (host, type).
private struct TargetAddresses {
    var answers: [CacheKey: ResolvedAnswer]

    var source: AnswerSource { answers.values.map(\.source).max() ?? .cache }

    /// `endpoint` with its target's addresses in the order to try and its TTL lowered to
    /// the shortest address record; nil when the target has no address.
    func endpoint(_ endpoint: Endpoint, hostFamilies: AddressFamilies,
                  using random: inout some RandomNumberGenerator) -> Endpoint? {
        let ipv6 = answers[CacheKey(name: endpoint.host, type: .aaaa)]
        let ipv4 = answers[CacheKey(name: endpoint.host, type: .a)]
        let found = [ipv6, ipv4].compactMap { $0 }.filter { !$0.answer.addresses.isEmpty }
        guard !found.isEmpty else { return nil }
        var endpoint = endpoint
        endpoint.addresses = AddressOrdering.order(ipv6: ipv6?.answer.addresses ?? [], ipv4: ipv4?.answer.addresses ?? [],
                                                   hostFamilies: hostFamilies, using: &random)
        endpoint.ttl = found.map(\.ttl).reduce(endpoint.ttl, min)
        return endpoint
    }
}
