import Foundation
import KnotHarness
import MailDiscovery
import Resolver
import Synchronization

/// A clock the test moves by hand.
final class ManualTime: TimeSource {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// Counts the questions that reach the real resolver behind it.
final class CountingResolver: DNSQuerying {
    let base: UnboundResolver
    private let asked = Mutex<[CacheKey: Int]>([:])

    init(_ base: UnboundResolver) { self.base = base }

    func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
        asked.withLock { $0[CacheKey(name: name, type: type), default: 0] += 1 }
        return await base.answer(name: name, type: type)
    }

    func count(_ name: String, _ type: RecordType) -> Int { asked.withLock { $0[CacheKey(name: name, type: type)] ?? 0 } }
    var total: Int { asked.withLock { $0.values.reduce(0, +) } }
}

/// Discovery wired to a Knot server, as the daemon wires it to the system's resolvers.
struct Rig {
    let knot: KnotServer
    let upstream: CountingResolver
    let resolver: CachingResolver
    let discovery: Discovery

    init(_ knot: KnotServer, time: any TimeSource = SystemTime(), seed: UInt64 = 1,
         dnssec: DNSSECMode = .permissive, anchors: [String] = [], timeout: Duration = .seconds(2),
         families: AddressFamilies = [.ipv6, .ipv4], clientHost: String? = nil,
         order: RetrievalOrder = .imapFirst, cache: CacheSettings = CacheSettings()) throws {
        self.knot = knot
        upstream = CountingResolver(try UnboundResolver(configuration: ResolverConfiguration(
            upstreams: [knot.forwarder], dnssec: dnssec, trustAnchorFile: nil, trustAnchors: anchors,
            queryTimeout: timeout)))
        resolver = CachingResolver(upstream: upstream, time: time, settings: cache)
        var settings = DiscoverySettings(clientHost: clientHost, hostFamilies: families)
        settings.retrievalOrder = order
        discovery = Discovery(resolver: resolver, settings: settings, random: SeededGenerator(seed: seed))
    }
}

/// One Knot server for the tests that only read the zones; tests that change or stop a
/// server start their own.
enum SharedKnot {
    private static let task = Task { try await KnotServer.start() }
    static func server() async throws -> KnotServer { try await task.value }
}

extension LookupResult {
    /// "service host:port" of each candidate, in order.
    var summary: [String] { candidates.map { "\($0.service.rawValue) \($0.host):\($0.port)" } }
}
