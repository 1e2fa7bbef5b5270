import Foundation
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
        guard let method = DiscoveryInterface.Method(qualifiedName: call.method) else {
            throw .methodNotFound(call.method)
        }
        guard limits.beginCall(uid: context.peerUID) else { throw .discovery(.tooManyRequests) }
        defer { limits.endCall(uid: context.peerUID) }
        let uid = context.peerUID
        switch method {
        case .lookup: return try await lookup(call)
        case .acquire: return try await acquire(call, context: context)
        case .report: return try report(call, uid: uid)
        case .release: return try release(call, uid: uid)
        case .listLeases: return listLeases(uid: uid)
        case .flush: return try flush(call, uid: uid)
        case .stats: return stats()
        }
    }

    public func connectionClosed(_ context: VarlinkConnectionContext) async {
        let released = registry.withLock { $0.releaseAll(connection: context.id) }
        if released > 0 { logger.debug("connection closed, leases released", metadata: ["count": "\(released)"]) }
    }

    // MARK: Methods

    private func lookup(_ call: VarlinkCall) async throws(VarlinkError) -> VarlinkReply {
        let email = try call.string("email")
        let want = try Self.want(call)
        let clientHost = try call.optionalString("clientHost")
        let resolve = try call.optionalBool("resolve") ?? true
        do {
            let result = try await discovery.lookup(email: email, want: want, clientHost: clientHost, resolve: resolve)
            logger.debug("lookup", metadata: ["domain": "\(result.domain)", "want": "\(want.name)",
                                             "source": "\(result.source.rawValue)"])
            return VarlinkReply(parameters: result.wire)
        } catch {
            throw VarlinkError(error)
        }
    }

    private func acquire(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        let email = try call.string("email")
        let want = try Self.want(call)
        let clientHost = try call.optionalString("clientHost")
        let domain: String
        do {
            domain = try MailAddress(parsing: email).domain
        } catch {
            throw VarlinkError(.invalidAddress(email: email, reason: error))
        }
        let key = PinKey(uid: context.peerUID, domain: domain, want: want.name)
        let owner = LeaseOwner(uid: context.peerUID, connection: context.id)
        // A held pin answers without DNS; otherwise look up first, outside the lock.
        var lookup: LookupResult?
        if registry.withLock({ $0.activePin(key, now: time.now()) }) == nil {
            do {
                lookup = try await discovery.lookup(email: email, want: want, clientHost: clientHost)
            } catch {
                throw VarlinkError(error)
            }
        }
        let now = time.now()
        let acquired: (lease: Lease, reused: Bool, verifyNames: [String])
        do {
            acquired = try registry.withLock { registry throws(LeaseError) in
                let result = try registry.acquire(key, email: email, owner: owner, lookup: lookup, now: now)
                return (result.lease, result.reused, registry.verifyNames(for: result.lease))
            }
        } catch {
            throw VarlinkError(error)
        }
        logger.info("acquire", metadata: ["domain": "\(domain)", "reused": "\(acquired.reused)"])
        return VarlinkReply(parameters: [
            "lease": .string(acquired.lease.id),
            "endpoint": acquired.lease.tuple.endpoint.wire,
            "address": .string(acquired.lease.tuple.address),
            "reused": .bool(acquired.reused),
            "verifyNames": .array(acquired.verifyNames.map(JSONValue.string)),
        ])
    }

    private func report(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let id = try call.string("lease")
        let outcome = try call.string("outcome")
        let now = time.now()
        guard outcome == "connected" || outcome == "failed" else { throw .invalidParameter("outcome") }
        let lease: Lease
        do {
            lease = try registry.withLock { registry throws(LeaseError) in
                outcome == "connected"
                    ? try registry.reportConnected(id, uid: uid)
                    : try registry.reportFailed(id, uid: uid, now: now)
            }
        } catch {
            throw VarlinkError(error)
        }
        return VarlinkReply(parameters: [
            "endpoint": lease.tuple.endpoint.wire,
            "address": .string(lease.tuple.address),
        ])
    }

    private func release(_ call: VarlinkCall, uid: UInt32) throws(VarlinkError) -> VarlinkReply {
        let id = try call.string("lease")
        guard registry.withLock({ $0.release(id, uid: uid) }) else { throw VarlinkError(.noSuchLease(id)) }
        return VarlinkReply()
    }

    private func listLeases(uid: UInt32) -> VarlinkReply {
        let leases = registry.withLock { $0.leases(of: uid) }
        return VarlinkReply(parameters: ["leases": .array(leases.map(\.wire))])
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
        let flushed = discovery.resolver.flush(domain: domain)
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
}
