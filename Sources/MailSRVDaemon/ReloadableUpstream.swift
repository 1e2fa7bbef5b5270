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
///
/// A replaced upstream answers the queries it already has and is shut down (its thread
/// joined, its context and descriptors freed) as soon as the last of them ends: at once
/// when it has none, so that any number of reloads leaves one upstream behind.
final class ReloadableUpstream: DNSQuerying {
    /// One upstream put in place, numbered so that its queries can be counted.
    private struct Installed {
        var upstream: any DaemonUpstream
        var generation: Int
    }

    private struct State {
        var current: Installed
        /// Queries running on each generation that has any.
        var running: [Int: Int] = [:]
        /// Replaced upstreams that still have queries running, by generation.
        var retired: [Int: any DaemonUpstream] = [:]
    }

    private let state: Mutex<State>
    private let make: Engine.UpstreamFactory

    init(_ configuration: ResolverConfiguration, make: @escaping Engine.UpstreamFactory) throws {
        state = Mutex(State(current: Installed(upstream: try make(configuration), generation: 0)))
        self.make = make
    }

    func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
        let installed = state.withLock { state in
            state.running[state.current.generation, default: 0] += 1
            return state.current
        }
        let outcome = await installed.upstream.answer(name: name, type: type)
        let done = state.withLock { state -> (any DaemonUpstream)? in
            let generation = installed.generation
            state.running[generation, default: 1] -= 1
            guard state.running[generation] == 0 else { return nil }
            state.running[generation] = nil
            return state.retired.removeValue(forKey: generation)
        }
        done?.shutdown()
        return outcome
    }

    /// Puts an upstream made with `configuration` in place; the old one goes once its
    /// queries have ended.
    func replace(with configuration: ResolverConfiguration) throws {
        let upstream = try make(configuration)
        let idle = state.withLock { state -> (any DaemonUpstream)? in
            let old = state.current
            state.current = Installed(upstream: upstream, generation: old.generation + 1)
            guard state.running[old.generation] == nil else {
                state.retired[old.generation] = old.upstream
                return nil
            }
            return old.upstream
        }
        idle?.shutdown()
    }

    /// Shuts every upstream down, the replaced ones still answering included.
    func shutdown() {
        for upstream in state.withLock({ [$0.current.upstream] + $0.retired.values }) { upstream.shutdown() }
    }
}
