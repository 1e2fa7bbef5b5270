import KnotHarness
import Logging
import MailDiscovery
import MailSRVDaemon
import MailSRVInterface
import Resolver
import Testing
import Varlink

/// What the daemon writes decodes into `MailSRVInterface`'s typed replies and errors, for
/// every method and every error of PROTOCOL.md, and the typed form holds all of it (written
/// again, it gives the same parameters). The daemon's methods run in process, against a
/// real Knot server.
@Suite struct ContractTests {
    @Test func everyMethodsReplyDecodes() async throws {
        let daemon = try await InProcessDaemon()
        let lookup = try await daemon.reply(to: DiscoveryInterface.Lookup(
            email: "alice@example.net", want: nil, clientHost: nil, resolve: nil))
        #expect(lookup.domain == "example.net")
        #expect(lookup.candidates.first?.service == "imaps")
        #expect(lookup.source == "dns")
        #expect(lookup.verifyNames == ["example.net"])
        // Now from the cache, on the event loop's path.
        let cached = try daemon.immediateReply(to: DiscoveryInterface.Lookup(
            email: "alice@example.net", want: "imaps", clientHost: nil, resolve: false))
        #expect(cached.source == "cache")
        #expect(cached.candidates.allSatisfy { $0.addresses.isEmpty && $0.port == 993 })

        let acquired = try await daemon.reply(to: DiscoveryInterface.Acquire(
            email: "alice@example.net", want: "imaps", clientHost: nil, alternatives: true))
        #expect(!acquired.lease.isEmpty && !acquired.reused)
        #expect(acquired.endpoint.addresses.contains(acquired.address))
        #expect(acquired.alternatives?.isEmpty == false)
        let connected = try await daemon.reply(to: DiscoveryInterface.Report(lease: acquired.lease, outcome: "connected"))
        #expect(connected.endpoint == acquired.endpoint && connected.address == acquired.address)
        let moved = try await daemon.reply(to: DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
        #expect(moved.address != nil && moved.address != acquired.address)
        let other = try #require(acquired.alternatives?.last)
        let elsewhere = try await daemon.reply(to: DiscoveryInterface.Report(
            lease: acquired.lease, outcome: "failed", host: other.endpoint.host, port: other.endpoint.port,
            address: other.address))
        #expect(elsewhere.address == moved.address, "a report on another tuple of the order does not move the lease")
        let leases = try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases
        #expect(leases.map(\.lease) == [acquired.lease])
        #expect(leases.first?.email == "alice@example.net" && leases.first?.want == "imaps")
        #expect(leases.first?.state == "pending")
        _ = try await daemon.reply(to: DiscoveryInterface.Release(lease: acquired.lease))
        #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.isEmpty)

        let stats = try await daemon.reply(to: DiscoveryInterface.Stats())
        #expect(stats.cachedNames > 0 && stats.cacheHits > 0 && stats.dnsQueries > 0 && stats.leases == 0)
        let flushed = try await daemon.reply(to: DiscoveryInterface.Flush(domain: nil), uid: 0)
        #expect(flushed.flushed == stats.cachedNames)
    }

    @Test func everyErrorDecodes() async throws {
        let daemon = try await InProcessDaemon(maxLeasesPerUID: 1)
        #expect(try await daemon.failure(DiscoveryInterface.Lookup(email: "not an address", want: nil, clientHost: nil, resolve: nil))
            == .invalidAddress(.init(email: "not an address")))
        #expect(try await daemon.failure(DiscoveryInterface.Lookup(email: "a@nothing.example.net", want: nil, clientHost: nil, resolve: nil))
            == .noService(.init(domain: "nothing.example.net", want: "retrieval")))
        #expect(try await daemon.failure(DiscoveryInterface.Release(lease: "nope")) == .noSuchLease(.init(lease: "nope")))
        #expect(try await daemon.failure(DiscoveryInterface.Flush(domain: nil)) == .permissionDenied(.init()))

        // nopop.example.net offers one endpoint (imaps on imap1: two addresses).
        let acquire = DiscoveryInterface.Acquire(email: "a@nopop.example.net", want: nil, clientHost: nil, alternatives: nil)
        let lease = try await daemon.reply(to: acquire).lease
        #expect(try await daemon.failure(DiscoveryInterface.Acquire(email: "a@example.net", want: nil, clientHost: nil, alternatives: nil))
            == .tooManyRequests(.init()))
        _ = try await daemon.reply(to: DiscoveryInterface.Report(lease: lease, outcome: "failed"))
        #expect(try await daemon.failure(DiscoveryInterface.Report(lease: lease, outcome: "failed"))
            == .exhausted(.init(domain: "nopop.example.net")))

        let unreachable = try await InProcessDaemon(upstream: "127.0.0.1@1")
        let failed = try await unreachable.failure(DiscoveryInterface.Lookup(
            email: "a@example.net", want: nil, clientHost: nil, resolve: nil))
        guard case .resolutionFailed(let parameters) = failed else {
            Issue.record("expected ResolutionFailed, got \(failed)")
            return
        }
        #expect(parameters.domain == "example.net" && !parameters.reason.isEmpty)
    }
}

/// The daemon's Varlink service, called in process as a connection of `uid` would call it.
struct InProcessDaemon {
    let service: DiscoveryService

    init(upstream: String? = nil, maxLeasesPerUID: Int = 1024) async throws {
        var forwarder = upstream ?? ""
        if upstream == nil { forwarder = try await SharedKnot.server().forwarder }
        let resolver = CachingResolver(upstream: try UnboundResolver(configuration: ResolverConfiguration(
            upstreams: [forwarder], trustAnchorFile: nil, queryTimeout: .seconds(1))))
        service = DiscoveryService(
            discovery: Discovery(resolver: resolver, settings: DiscoverySettings(clientHost: nil, hostFamilies: [.ipv6, .ipv4])),
            registry: LeaseRegistry(maxLeasesPerUID: maxLeasesPerUID),
            limits: UserLimits(maxConnections: 16, maxCallsInFlight: 16), logger: Logger(label: "test"))
    }

    func call(_ parameters: some DiscoveryCall, uid: UInt32) async -> VarlinkReply {
        do {
            return try await service.handle(VarlinkCall(parameters), context: VarlinkConnectionContext(id: 1, peerUID: uid))
        } catch {
            return error.reply
        }
    }

    /// The call's reply, typed; checks that the typed form holds every parameter.
    func reply<Call: DiscoveryCall>(to parameters: Call, uid: UInt32 = 1000) async throws -> Call.Reply {
        try Self.typed(await call(parameters, uid: uid), of: Call.self)
    }

    /// The reply `answerImmediately` gives on the event loop.
    func immediateReply<Call: DiscoveryCall>(to parameters: Call, uid: UInt32 = 1000) throws -> Call.Reply {
        let reply = service.answerImmediately(VarlinkCall(parameters), context: VarlinkConnectionContext(id: 1, peerUID: uid))
        return try Self.typed(try #require(reply), of: Call.self)
    }

    /// The call's error reply, typed.
    func failure(_ parameters: some DiscoveryCall, uid: UInt32 = 1000) async throws -> DiscoveryInterface.Failure {
        let reply = await call(parameters, uid: uid)
        let error = try #require(reply.varlinkError, "\(reply.serialized())")
        let failure = try #require(try DiscoveryInterface.Failure(error))
        #expect(failure.varlinkError == error, "the typed error holds every parameter")
        return failure
    }

    private static func typed<Call: DiscoveryCall>(_ reply: VarlinkReply, of: Call.Type) throws -> Call.Reply {
        #expect(reply.error == nil, "\(reply.serialized())")
        let typed = try Call.Reply(parameters: reply.parameters)
        #expect(typed.parameters == reply.parameters, "the typed reply holds every parameter")
        return typed
    }
}

/// One Knot server for the tests that only read the zones.
enum SharedKnot {
    private static let task = Task { try await KnotServer.start() }
    static func server() async throws -> KnotServer { try await task.value }
}
