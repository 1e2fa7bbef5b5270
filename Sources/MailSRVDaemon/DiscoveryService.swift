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
    private let limits: UserLimits
    private let time: any TimeSource
    private let started: Date
    private let logger: Logger

    public init(discovery: Discovery, registry: LeaseRegistry, limits: UserLimits,
                time: any TimeSource = SystemTime(), logger: Logger) {
        self.discovery = discovery
        self.registry = Mutex(registry)
        self.limits = limits
        self.time = time
        self.started = time.now()
        self.logger = logger
    }

    public func handle(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let method = try Self.method(of: call)
        guard limits.beginCall(uid: context.peerUID) else { throw .discovery(.tooManyRequests) }
        defer { limits.endCall(uid: context.peerUID) }
        switch method {
        case .lookup: return try await lookup(call)
        case .acquire: return try await acquire(call, context: context)
        default: return try answerWithoutWaiting(method, call, uid: context.peerUID)!
        }
    }

    /// Every method but `Acquire` is answered on the event loop when it needs no DNS:
    /// `Lookup` from fresh cache entries, the others always.
    public func answerImmediately(_ call: VarlinkCall, context: VarlinkConnectionContext) -> VarlinkReply? {
        do throws(VarlinkError) {
            let method = try Self.method(of: call)
            guard limits.beginCall(uid: context.peerUID) else { throw .discovery(.tooManyRequests) }
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
        case .lookup: try cachedLookup(call)
        case .acquire: nil
        case .report: try report(call, uid: uid)
        case .release: try release(call, uid: uid)
        case .listLeases: listLeases(uid: uid)
        case .flush: try flush(call, uid: uid)
        case .stats: stats()
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

    private func lookup(_ call: VarlinkCall) async throws(VarlinkError) -> VarlinkReply {
        let query = try LookupQuery(call)
        do {
            return reply(to: query, try await discovery.lookup(
                email: query.email, want: query.want, clientHost: query.clientHost, resolve: query.resolve))
        } catch {
            throw VarlinkError(error)
        }
    }

    /// `Lookup` from fresh cache entries; nil when it needs DNS.
    private func cachedLookup(_ call: VarlinkCall) throws(VarlinkError) -> VarlinkReply? {
        let query = try LookupQuery(call)
        do {
            return try discovery.cachedLookup(
                email: query.email, want: query.want, clientHost: query.clientHost, resolve: query.resolve
            ).map { reply(to: query, $0) }
        } catch {
            throw VarlinkError(error)
        }
    }

    private func reply(to query: LookupQuery, _ result: LookupResult) -> VarlinkReply {
        logger.debug("lookup", metadata: ["domain": "\(result.domain)", "want": "\(query.want.name)",
                                         "source": "\(result.source.rawValue)"])
        return VarlinkReply(encodedParameters: result.wire)
    }

    private func acquire(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let email = try call.string("email")
        let want = try Self.want(call)
        let clientHost = try call.optionalString("clientHost")
        let wantsAlternatives = try call.optionalBool("alternatives") ?? false
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
        let acquired: (lease: Lease, reused: Bool, verifyNames: [String], alternatives: [Tuple]?)
        do {
            acquired = try registry.withLock { registry throws(LeaseError) in
                let result = try registry.acquire(key, email: email, owner: owner, lookup: lookup, now: now)
                return (result.lease, result.reused, registry.verifyNames(for: result.lease),
                        wantsAlternatives ? registry.alternatives(for: result.lease, now: now) : nil)
            }
        } catch {
            throw VarlinkError(error)
        }
        logger.info("acquire", metadata: ["domain": "\(domain)", "reused": "\(acquired.reused)"])
        var json = JSONWriter()
        json.beginObject()
        json.key("lease"); json.string(acquired.lease.id)
        json.key("endpoint"); json.endpoint(acquired.lease.tuple.endpoint)
        json.key("address"); json.string(acquired.lease.tuple.address)
        json.key("reused"); json.bool(acquired.reused)
        json.key("verifyNames"); json.strings(acquired.verifyNames)
        if let alternatives = acquired.alternatives {
            json.key("alternatives"); json.routes(alternatives)
        }
        json.endObject()
        return VarlinkReply(encodedParameters: json)
    }

    private func report(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let id = try call.string("lease")
        let outcome = try call.string("outcome")
        let destination = try Self.destination(call)
        let now = time.now()
        guard outcome == "connected" || outcome == "failed" else { throw .invalidParameter("outcome") }
        let lease: Lease
        do {
            lease = try registry.withLock { registry throws(LeaseError) in
                outcome == "connected"
                    ? try registry.reportConnected(id, uid: uid, at: destination)
                    : try registry.reportFailed(id, uid: uid, at: destination, now: now)
            }
        } catch {
            throw VarlinkError(error)
        }
        var json = JSONWriter()
        json.beginObject()
        json.key("endpoint"); json.endpoint(lease.tuple.endpoint)
        json.key("address"); json.string(lease.tuple.address)
        json.endObject()
        return VarlinkReply(encodedParameters: json)
    }

    private func release(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let id = try call.string("lease")
        guard registry.withLock({ $0.release(id, uid: uid) }) else { throw VarlinkError(.noSuchLease(id)) }
        return VarlinkReply()
    }

    private func listLeases(uid: UInt32) -> VarlinkReply {
        let leases = registry.withLock { $0.leases(of: uid) }
        var json = JSONWriter()
        json.beginObject()
        json.key("leases")
        json.beginArray()
        for lease in leases { json.lease(lease) }
        json.endArray()
        json.endObject()
        return VarlinkReply(encodedParameters: json)
    }

    private func flush(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        guard uid == 0 else { throw .discovery(.permissionDenied) }
        var domain = try call.optionalString("domain")
        if let given = domain {
            do {
                domain = try MailAddress(parsing: given).domain
            } catch {
                throw .invalidParameter("domain")
            }
        }
        let flushed = discovery.flush(domain: domain)
        logger.notice("cache flushed", metadata: ["domain": "\(domain ?? "*")", "entries": "\(flushed)"])
        return VarlinkReply(parameters: ["flushed": .int(flushed)])
    }

    private func stats() -> VarlinkReply {
        let counters = discovery.resolver.counters
        return VarlinkReply(parameters: [
            "cachedNames": .int(discovery.resolver.cachedEntries),
            "cacheHits": .int(counters.hits),
            "cacheMisses": .int(counters.misses),
            "staleServed": .int(counters.staleServed),
            "dnsQueries": .int(counters.dnsQueries),
            "clients": .int(limits.totalConnections),
            "leases": .int(registry.withLock { $0.totalLeases }),
            "uptimeSeconds": .int(Int(time.now().timeIntervalSince(started))),
        ])
    }

    // MARK: State for the rest of the daemon

    /// Pins and leases, for saving and for status figures.
    public func withRegistry<T>(_ body: (inout LeaseRegistry) -> T) -> T {
        registry.withLock { body(&$0) }
    }

    // MARK: Parameters

    private static func want(_ call: VarlinkCall) throws(VarlinkError) -> Want {
        guard let text = try call.optionalString("want") else { return .retrieval }
        guard let want = Want(text) else { throw .invalidParameter("want") }
        return want
    }

    /// `Report`'s optional `host`, `port` and `address`: all three or none.
    private static func destination(_ call: VarlinkCall) throws(VarlinkError) -> Destination? {
        let host = try call.optionalString("host")
        let port = try call.optionalInt("port")
        let address = try call.optionalString("address")
        if host == nil && port == nil && address == nil { return nil }
        guard let host else { throw .invalidParameter("host") }
        guard let port else { throw .invalidParameter("port") }
        guard let address else { throw .invalidParameter("address") }
        return Destination(host: host, port: port, address: address)
    }

    /// `Lookup`'s parameters.
    private struct LookupQuery {
        var email: String
        var want: Want
        var clientHost: String?
        var resolve: Bool

        init(_ call: VarlinkCall) throws(VarlinkError) {
            email = try call.string("email")
            want = try DiscoveryService.want(call)
            clientHost = try call.optionalString("clientHost")
            resolve = try call.optionalBool("resolve") ?? true
        }
    }
}
