import FoundationEssentials
import Logging
import MailDiscovery
import MailSRVInterface
import Synchronization
import Varlink

/// `io.mailsrvd.Discovery`: PROTOCOL.md's methods, mapped onto the engine. Every call
/// acts as the connection's peer uid; leases die with the connection that acquired them.
/// The state (leases, pins, failure marks, confirmations) is the ``LeaseBook``'s: this
/// adapter parses a call, calls the book or the discovery, and writes the reply.
public final class DiscoveryService: VarlinkService {
    public let discovery: Discovery
    public let book: LeaseBook
    private let limits: UserLimits
    private let time: any TimeSource
    private let started: Date
    private let logger: Logger

    public init(book: LeaseBook, limits: UserLimits, time: any TimeSource = SystemTime(), logger: Logger) {
        self.discovery = book.discovery
        self.book = book
        self.limits = limits
        self.time = time
        self.started = time.now()
        self.logger = logger
    }

    public func handle(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let method = try Self.method(of: call)
        let uid = try beginCall(context)
        defer { limits.endCall(uid: uid) }
        switch method {
        case .lookup: return try await lookup(call, uid: uid)
        case .acquire: return try await acquire(call, context: context)
        default: return try answerWithoutWaiting(method, call, uid: uid)!
        }
    }

    /// Every method but `Acquire` is answered on the event loop when it needs no DNS:
    /// `Lookup` from fresh cache entries, the others always.
    public func answerImmediately(_ call: VarlinkCall, context: VarlinkConnectionContext) -> VarlinkReply? {
        do throws(VarlinkError) {
            let method = try Self.method(of: call)
            let uid = try beginCall(context)
            defer { limits.endCall(uid: uid) }
            return try answerWithoutWaiting(method, call, uid: uid)
        } catch {
            return error.reply
        }
    }

    /// Counts a call of the connection's uid as in flight (`TooManyRequests` when it has
    /// too many); the caller ends it with `limits.endCall(uid:)`. Returns the uid.
    private func beginCall(_ context: VarlinkConnectionContext) throws(VarlinkError) -> UInt32 {
        guard limits.beginCall(uid: context.peerUID) else { throw .tooManyRequests }
        return context.peerUID
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
        let released = book.releaseAll(connection: context.id)
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

    /// The reply to a Lookup of `uid`, as the book tells it to `uid`.
    private func reply(to query: LookupQuery, uid: UInt32, _ result: LookupResult) -> VarlinkReply {
        logger.debug("lookup", metadata: ["domain": "\(result.domain)", "want": "\(query.want.name)",
                                         "source": "\(result.source.rawValue)"])
        let reply = DiscoveryInterface.LookupReply(book.confirmed(result, uid: uid))
        return VarlinkReply(encoding: reply, capacity: reply.capacity)
    }

    private func acquire(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let parameters = try call.parameters(as: DiscoveryInterface.Acquire.self)
        let want = try Self.want(parameters.want)
        let acquired: AcquiredLease
        do {
            acquired = try await book.acquire(
                email: parameters.email, want: want, clientHost: parameters.clientHost,
                alternatives: parameters.alternatives ?? false,
                owner: LeaseOwner(uid: context.peerUID, connection: context.id))
        } catch {
            throw VarlinkError(error)
        }
        logger.info("acquire", metadata: ["domain": "\(acquired.lease.pin.domain)", "reused": "\(acquired.reused)"])
        return VarlinkReply(encoding: DiscoveryInterface.AcquireReply(
            lease: acquired.lease.id, endpoint: DiscoveryInterface.Endpoint(acquired.route.tuple.endpoint),
            address: acquired.route.tuple.address, reused: acquired.reused, verifyNames: acquired.route.verifyNames,
            alternatives: acquired.alternatives?.map(DiscoveryInterface.Route.init)))
    }

    private func report(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let parameters = try call.parameters(as: DiscoveryInterface.Report.self)
        let destination = try Self.destination(parameters)
        guard let outcome = Lease.Outcome(rawValue: parameters.outcome) else { throw .invalidParameter("outcome") }
        let route: Route
        do {
            route = try book.report(parameters.lease, outcome, at: destination, uid: uid)
        } catch {
            throw VarlinkError(error)
        }
        return VarlinkReply(encoding: DiscoveryInterface.ReportReply(
            endpoint: DiscoveryInterface.Endpoint(route.tuple.endpoint), address: route.tuple.address,
            verifyNames: route.verifyNames))
    }

    private func release(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let id = try call.parameters(as: DiscoveryInterface.Release.self).lease
        guard book.release(id, uid: uid) else { throw VarlinkError(.noSuchLease(id)) }
        return VarlinkReply(encoding: DiscoveryInterface.ReleaseReply())
    }

    private func listLeases(uid: UInt32) -> VarlinkReply {
        VarlinkReply(encoding: DiscoveryInterface.ListLeasesReply(leases: book.leases(of: uid).map(DiscoveryInterface.Lease.init)))
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
            leases: book.totalLeases, uptimeSeconds: Int(time.now().timeIntervalSince(started)))
        // A tree, written in key order: the bytes stay what they were before the typed reply.
        return VarlinkReply(parameters: stats.parameters)
    }

    private func trust(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let target = try Self.trustedTarget(call.parameters(as: DiscoveryInterface.Trust.self))
        let added: Bool
        do {
            added = try book.trust(target, uid: uid)
        } catch {
            throw .tooManyRequests
        }
        logger.info("trust", metadata: ["domain": "\(target.domain)", "host": "\(target.host)", "added": "\(added)"])
        return VarlinkReply(encoding: DiscoveryInterface.TrustReply(domain: target.domain, host: target.host, added: added))
    }

    private func untrust(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let target = try Self.trustedTarget(call.parameters(as: DiscoveryInterface.Untrust.self))
        let removed = book.untrust(target, uid: uid)
        logger.info("untrust", metadata: ["domain": "\(target.domain)", "host": "\(target.host)", "removed": "\(removed)"])
        return VarlinkReply(encoding: DiscoveryInterface.UntrustReply(domain: target.domain, host: target.host, removed: removed))
    }

    private func listTrusted(uid: UInt32) -> VarlinkReply {
        VarlinkReply(encoding: DiscoveryInterface.ListTrustedReply(
            trusted: book.trusted(by: uid).map { DiscoveryInterface.Trusted(domain: $0.domain, host: $0.host) }))
    }

    // MARK: Parameters

    private static func want(_ text: String?) throws(VarlinkError) -> Want {
        guard let text else { return .retrieval }
        guard let want = Want(text) else { throw .invalidParameter("want") }
        return want
    }

    /// `Trust`'s and `Untrust`'s `domain` and `host`, as A-labels.
    private static func trustedTarget<Change>(
        _ parameters: DiscoveryInterface.ConfirmationCall<Change>) throws(VarlinkError) -> TrustedTarget {
        do {
            return try TrustedTarget(domain: parameters.target.domain, host: parameters.target.host)
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
