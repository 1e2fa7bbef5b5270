import MailDiscovery
import Resolver
import Synchronization

/// A DNS upstream the daemon can stop (and replace on a reload).
public protocol DaemonUpstream: DNSQuerying {
    /// Stops it: queries still in flight fail.
    func shutdown()
}

extension UnboundResolver: DaemonUpstream {}

/// The upstream resolver, replaceable by a config reload (new upstreams, DNSSEC mode,
/// trust anchor, timeout) without touching the cache or the clients.
final class ReloadableUpstream: DNSQuerying {
    private let current: Mutex<(resolver: any DaemonUpstream, configuration: ResolverConfiguration)>
    private let make: Engine.UpstreamFactory

    init(_ configuration: ResolverConfiguration, make: @escaping Engine.UpstreamFactory) throws {
        current = Mutex((try make(configuration), configuration))
        self.make = make
    }

    func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
        let resolver = current.withLock { $0.resolver }
        return await resolver.answer(name: name, type: type)
    }

    /// Puts an upstream made with `configuration` in place. The old one answers the queries
    /// it already has and is shut down once they must have ended (after its query timeout).
    func replace(with configuration: ResolverConfiguration) throws {
        let resolver = try make(configuration)
        let old = current.withLock { current in
            defer { current = (resolver, configuration) }
            return current
        }
        Task {
            try? await Task.sleep(for: old.configuration.queryTimeout + .seconds(1))
            old.resolver.shutdown()
        }
    }

    func shutdown() {
        current.withLock { $0.resolver }.shutdown()
    }
}
