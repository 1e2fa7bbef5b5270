import FoundationEssentials
import Logging
import MailDiscovery
import MailSRVInterface
import Synchronization
import Varlink

/// `io.mailsrvd.Discovery`: PROTOCOL.md's methods, mapped onto the engine. Every call
/// acts as the connection's peer uid; leases die with the connection that acquired them.
public final class DiscoveryService: VarlinkService {
    public let discovery: Discovery
    private let registry: Mutex<LeaseRegistry>
    private let trust: Mutex<TrustStore>
    /// Writes the confirmations; called after each change, one call at a time.
    private let saveTrust: @Sendable (TrustStore) -> Void
    /// Held while a change of the confirmations is made and saved, so that saves happen in
    /// the order of the changes, without holding up the readers of `trust`.
    private let trustChanges = Mutex(())
    private let limits: UserLimits
    private let time: any TimeSource
    private let started: Date
    private let logger: Logger

    public init(discovery: Discovery, registry: LeaseRegistry, limits: UserLimits,
                trust: TrustStore = TrustStore(), saveTrust: @escaping @Sendable (TrustStore) -> Void = { _ in },
                time: any TimeSource = SystemTime(), logger: Logger) {
        self.discovery = discovery
        self.registry = Mutex(registry)
        self.trust = Mutex(trust)
        self.saveTrust = saveTrust
        self.limits = limits
        self.time = time
        self.started = time.now()
        self.logger = logger
    }

    public func handle(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let method = try Self.method(of: call)
        guard limits.beginCall(uid: context.peerUID) else { throw .tooManyRequests }
        defer { limits.endCall(uid: context.peerUID) }
        switch method {
        case .lookup: return try await lookup(call, uid: context.peerUID)
        case .acquire: return try await acquire(call, context: context)
        default: return try answerWithoutWaiting(method, call, uid: context.peerUID)!
        }
    }

    /// Every method but `Acquire` is answered on the event loop when it needs no DNS:
    /// `Lookup` from fresh cache entries, the others always.
    public func answerImmediately(_ call: VarlinkCall, context: VarlinkConnectionContext) -> VarlinkReply? {
        do throws(VarlinkError) {
            let method = try Self.method(of: call)
            guard limits.beginCall(uid: context.peerUID) else { throw .tooManyRequests }
            defer { limits.endCall(uid: context.peerUID) }
            return try answerWithoutWaiting(method, call, uid: context.peerUID)
        } catch {
            return error.reply
        }
    }

    /// The reply of a method that needs no waiting; nil for `Acquire`, and for a `Lookup`
    /// that needs DNS.
    private func answerWithoutWaiting(_ method: DiscoveryInterface.Method, _ call: VarlinkCall,
                                      uid: UInt32) throws(VarlinkError) -> VarlinkReply? {
        switch method {
        case .lookup: try cachedLookup(call, uid: uid)
        case .acquire: nil
        case .report: try report(call, uid: uid)
        case .release: try release(call, uid: uid)
        case .listLeases: listLeases(uid: uid)
        case .flush: try flush(call, uid: uid)
        case .stats: stats()
        case .trust: try trust(call, uid: uid)
        case .untrust: try untrust(call, uid: uid)
        case .listTrusted: listTrusted(uid: uid)
        }
    }

    private static func method(of call: VarlinkCall) throws(VarlinkError) -> DiscoveryInterface.Method {
        guard let method = DiscoveryInterface.Method(qualifiedName: call.method) else {
            throw .methodNotFound(call.method)
        }
        return method
    }

    public func connectionClosed(_ context: VarlinkConnectionContext) async {
        let released = registry.withLock { $0.releaseAll(connection: context.id) }
        if released > 0 { logger.debug("connection closed, leases released", metadata: ["count": "\(released)"]) }
    }

    // MARK: Methods

    private func lookup(_ call: VarlinkCall, uid: UInt32) async throws(VarlinkError) -> VarlinkReply {
        let query = try LookupQuery(call.parameters(as: DiscoveryInterface.Lookup.self))
        do {
            return reply(to: query, uid: uid, try await discovery.lookup(
                email: query.email, want: query.want, clientHost: query.clientHost, resolve: query.resolve))
        } catch {
            throw VarlinkError(error)
        }
    }

    /// `Lookup` from fresh cache entries; nil when it needs DNS.
    private func cachedLookup(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply? {
        let query = try LookupQuery(call.parameters(as: DiscoveryInterface.Lookup.self))
        do {
            return try discovery.cachedLookup(
                email: query.email, want: query.want, clientHost: query.clientHost, resolve: query.resolve
            ).map { reply(to: query, uid: uid, $0) }
        } catch {
            throw VarlinkError(error)
        }
    }

    /// The reply to a Lookup of `uid`: its `verifyNames` gain the candidates it has confirmed.
    private func reply(to query: LookupQuery, uid: UInt32, _ result: LookupResult) -> VarlinkReply {
        logger.debug("lookup", metadata: ["domain": "\(result.domain)", "want": "\(query.want.name)",
                                         "source": "\(result.source.rawValue)"])
        var reply = DiscoveryInterface.LookupReply(result)
        reply.verifyNames = verifyNames(result.verifyNames, uid: uid, domain: result.domain,
                                        hosts: result.candidates.map(\.host))
        return VarlinkReply(encoding: reply, capacity: reply.capacity)
    }

    /// `names` and the hosts among `hosts` that `uid` has confirmed for `domain`.
    private func verifyNames(_ names: [String], uid: UInt32, domain: String, hosts: [String]) -> [String] {
        trust.withLock { $0.verifyNames(names, uid: uid, domain: domain, hosts: hosts) }
    }

    /// The certificate names of `tuple` of the pin `key`: the pin's, and its host if the
    /// pin's uid has confirmed it.
    private func verifyNames(_ names: [String], of tuple: Tuple, pin key: PinKey) -> [String] {
        verifyNames(names, uid: key.uid, domain: key.domain, hosts: [tuple.endpoint.host])
    }

    private func acquire(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let parameters = try call.parameters(as: DiscoveryInterface.Acquire.self)
        let email = parameters.email
        let want = try Self.want(parameters.want)
        let clientHost = parameters.clientHost
        let wantsAlternatives = parameters.alternatives ?? false
        let address: MailAddress
        do {
            address = try Discovery.address(email)
        } catch {
            throw VarlinkError(error)
        }
        let domain = address.domain
        let key = PinKey(uid: context.peerUID, domain: domain, want: want.name)
        let owner = LeaseOwner(uid: context.peerUID, connection: context.id)
        // A held pin answers without DNS; otherwise look up first, outside the lock.
        var lookup: LookupResult?
        if registry.withLock({ $0.activePin(key, now: time.now()) }) == nil {
            do {
                lookup = try await discovery.lookup(address, want: want, clientHost: clientHost)
            } catch {
                throw VarlinkError(error)
            }
        }
        let now = time.now()
        let acquired: (lease: Lease, reused: Bool, verifyNames: [String], alternatives: [(Tuple, [String])]?)
        do {
            acquired = try registry.withLock { registry throws(LeaseError) in
                let result = try registry.acquire(key, email: email, owner: owner, lookup: lookup, now: now)
                let alternatives = wantsAlternatives ? registry.alternatives(for: result.lease, now: now).map {
                    ($0, registry.verifyNames(for: $0, of: key))
                } : nil
                return (result.lease, result.reused, registry.verifyNames(for: result.lease), alternatives)
            }
        } catch {
            throw VarlinkError(error)
        }
        logger.info("acquire", metadata: ["domain": "\(domain)", "reused": "\(acquired.reused)"])
        return VarlinkReply(encoding: DiscoveryInterface.AcquireReply(
            lease: acquired.lease.id, endpoint: DiscoveryInterface.Endpoint(acquired.lease.tuple.endpoint),
            address: acquired.lease.tuple.address, reused: acquired.reused,
            verifyNames: verifyNames(acquired.verifyNames, of: acquired.lease.tuple, pin: key),
            alternatives: acquired.alternatives?.map { tuple, names in
                DiscoveryInterface.Route(tuple, verifyNames: verifyNames(names, of: tuple, pin: key))
            }))
    }

    private func report(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let parameters = try call.parameters(as: DiscoveryInterface.Report.self)
        let (id, outcome) = (parameters.lease, parameters.outcome)
        let destination = try Self.destination(parameters)
        let now = time.now()
        guard outcome == "connected" || outcome == "failed" else { throw .invalidParameter("outcome") }
        let lease: Lease
        let names: [String]
        do {
            (lease, names) = try registry.withLock { registry throws(LeaseError) in
                let lease = outcome == "connected"
                    ? try registry.reportConnected(id, uid: uid, at: destination, now: now)
                    : try registry.reportFailed(id, uid: uid, at: destination, now: now)
                return (lease, registry.verifyNames(for: lease))
            }
        } catch {
            throw VarlinkError(error)
        }
        return VarlinkReply(encoding: DiscoveryInterface.ReportReply(
            endpoint: DiscoveryInterface.Endpoint(lease.tuple.endpoint), address: lease.tuple.address,
            verifyNames: verifyNames(names, of: lease.tuple, pin: lease.pin)))
    }

    private func release(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let id = try call.parameters(as: DiscoveryInterface.Release.self).lease
        guard registry.withLock({ $0.release(id, uid: uid) }) else { throw VarlinkError(.noSuchLease(id)) }
        return VarlinkReply(encoding: DiscoveryInterface.ReleaseReply())
    }

    private func listLeases(uid: UInt32) -> VarlinkReply {
        let now = time.now()
        let leases = registry.withLock { $0.leases(of: uid, now: now) }
        return VarlinkReply(encoding: DiscoveryInterface.ListLeasesReply(leases: leases.map(DiscoveryInterface.Lease.init)))
    }

    private func flush(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        guard uid == 0 else { throw .permissionDenied }
        var domain = try call.parameters(as: DiscoveryInterface.Flush.self).domain
        if let given = domain {
            do {
                domain = try MailAddress(parsing: given).domain
            } catch {
                throw .invalidParameter("domain")
            }
        }
        let flushed = discovery.flush(domain: domain)
        logger.notice("cache flushed", metadata: ["domain": "\(domain ?? "*")", "entries": "\(flushed)"])
        return VarlinkReply(encoding: DiscoveryInterface.FlushReply(flushed: flushed))
    }

    private func stats() -> VarlinkReply {
        let counters = discovery.resolver.counters
        let stats = DiscoveryInterface.StatsReply(
            cachedNames: discovery.resolver.cachedEntries, cacheHits: counters.hits, cacheMisses: counters.misses,
            staleServed: counters.staleServed, dnsQueries: counters.dnsQueries, clients: limits.totalConnections,
            leases: registry.withLock { $0.totalLeases },
            uptimeSeconds: Int(time.now().timeIntervalSince(started)))
        // A tree, written in key order: the bytes stay what they were before the typed reply.
        return VarlinkReply(parameters: stats.parameters)
    }

    /// `Trust`: the caller accepts `host` as a server of `domain`; its failure marks on the
    /// host go, so that the next connection tries it at once.
    private func trust(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let parameters = try call.parameters(as: DiscoveryInterface.Trust.self)
        let target = try Self.trustedTarget(domain: parameters.domain, host: parameters.host)
        let added: Bool
        do {
            added = try changeTrust { store throws(TrustStoreFull) in try store.trust(target, uid: uid) }
        } catch {
            throw .tooManyRequests
        }
        registry.withLock { $0.clearFailures(uid: uid, host: target.host) }
        logger.info("trust", metadata: ["domain": "\(target.domain)", "host": "\(target.host)", "added": "\(added)"])
        return VarlinkReply(encoding: DiscoveryInterface.TrustReply(domain: target.domain, host: target.host, added: added))
    }

    private func untrust(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let parameters = try call.parameters(as: DiscoveryInterface.Untrust.self)
        let target = try Self.trustedTarget(domain: parameters.domain, host: parameters.host)
        let removed = changeTrust { store in store.untrust(target, uid: uid) }
        logger.info("untrust", metadata: ["domain": "\(target.domain)", "host": "\(target.host)", "removed": "\(removed)"])
        return VarlinkReply(encoding: DiscoveryInterface.UntrustReply(domain: target.domain, host: target.host, removed: removed))
    }

    private func listTrusted(uid: UInt32) -> VarlinkReply {
        let targets = trust.withLock { $0.targets(of: uid) }
        return VarlinkReply(encoding: DiscoveryInterface.ListTrustedReply(
            trusted: targets.map { DiscoveryInterface.Trusted(domain: $0.domain, host: $0.host) }))
    }

    /// Changes the confirmations and, when `body` says it changed them, saves them.
    private func changeTrust<Failure: Error>(_ body: (inout TrustStore) throws(Failure) -> Bool) throws(Failure) -> Bool {
        try trustChanges.withLock { _ throws(Failure) in
            let (changed, store) = try trust.withLock { store throws(Failure) in (try body(&store), store) }
            if changed { saveTrust(store) }
            return changed
        }
    }

    // MARK: State for the rest of the daemon

    /// Pins and leases, for saving and for status figures.
    public func withRegistry<T>(_ body: (inout LeaseRegistry) -> T) -> T {
        registry.withLock { body(&$0) }
    }

    // MARK: Parameters

    private static func want(_ text: String?) throws(VarlinkError) -> Want {
        guard let text else { return .retrieval }
        guard let want = Want(text) else { throw .invalidParameter("want") }
        return want
    }

    /// `Trust`'s and `Untrust`'s `domain` and `host`, as A-labels.
    private static func trustedTarget(domain: String, host: String) throws(VarlinkError) -> TrustedTarget {
        do {
            return try TrustedTarget(domain: domain, host: host)
        } catch {
            switch error {
            case .domain: throw .invalidParameter("domain")
            case .host: throw .invalidParameter("host")
            }
        }
    }

    /// `Report`'s optional `host`, `port` and `address`: all three or none.
    private static func destination(_ parameters: DiscoveryInterface.Report) throws(VarlinkError) -> Destination? {
        if parameters.host == nil && parameters.port == nil && parameters.address == nil { return nil }
        guard let host = parameters.host else { throw .invalidParameter("host") }
        guard let port = parameters.port else { throw .invalidParameter("port") }
        guard let address = parameters.address else { throw .invalidParameter("address") }
        return Destination(host: host, port: port, address: address)
    }

    /// `Lookup`'s parameters, with their defaults.
    private struct LookupQuery {
        var email: String
        var want: Want
        var clientHost: String?
        var resolve: Bool

        init(_ parameters: DiscoveryInterface.Lookup) throws(VarlinkError) {
            email = parameters.email
            want = try DiscoveryService.want(parameters.want)
            clientHost = parameters.clientHost
            resolve = parameters.resolve ?? true
        }
    }
}
