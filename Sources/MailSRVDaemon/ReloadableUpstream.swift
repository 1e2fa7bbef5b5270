import MailDiscovery
import Resolver
import Synchronization

/// The upstream resolver, replaceable by a config reload (new upstreams, DNSSEC mode,
/// trust anchor, timeout) without touching the cache or the clients.
final class ReloadableUpstream: DNSQuerying {
    private let current: Mutex<UnboundResolver>

    init(_ resolver: UnboundResolver) {
        current = Mutex(resolver)
    }

    var configuration: ResolverConfiguration { current.withLock { $0.configuration } }

    func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
        let resolver = current.withLock { $0 }
        return await resolver.answer(name: name, type: type)
    }

    /// Puts `resolver` in place. The old one answers the queries it already has and is shut
    /// down once they must have ended (after its query timeout).
    func replace(with resolver: UnboundResolver) {
        let old = current.withLock { current in
            defer { current = resolver }
            return current
        }
        Task {
            try? await Task.sleep(for: old.configuration.queryTimeout + .seconds(1))
            old.shutdown()
        }
    }

    func shutdown() {
        current.withLock { $0 }.shutdown()
    }
}
