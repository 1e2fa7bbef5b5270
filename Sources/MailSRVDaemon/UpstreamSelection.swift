import Logging
import MailDiscovery
import Resolver
import Synchronization

/// Which servers the upstream asks (DESIGN.md §4): the configured ones (`--dns-server`,
/// `DNS=`), or, when there are none, the name servers of `resolv.conf`, followed while the
/// daemon runs (`ResolvConfWatcher`). When the servers change, the upstream is remade for
/// them and `serversChanged` runs (the engine forgets the old servers' answers as fresh);
/// the log says which servers are now used.
final class UpstreamSelection: Sendable {
    let upstream: ReloadableUpstream
    private let resolvConf: String
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var configuration: ResolverConfiguration
        var servers: [String]
        var watcher: ResolvConfWatcher?
        var serversChanged: @Sendable () -> Void = {}
    }

    /// The upstream for `configuration`, made by `make`; `resolvConf` is read when
    /// `configuration` has no upstreams.
    init(_ configuration: ResolverConfiguration, resolvConf: String, make: @escaping Engine.UpstreamFactory,
         logger: Logger) throws {
        self.resolvConf = resolvConf
        self.logger = logger
        let servers = Self.servers(configuration, resolvConf: resolvConf)
        upstream = try ReloadableUpstream(Self.resolved(configuration, servers), make: make)
        state = Mutex(State(configuration: configuration, servers: servers))
        logger.notice("upstream servers", metadata: metadata(servers, configuration))
    }

    /// Starts following `resolvConf` if no upstream is configured; `serversChanged` runs
    /// after every change of servers from now on.
    func follow(serversChanged: @escaping @Sendable () -> Void) {
        let (configuration, servers) = state.withLock { state in
            state.serversChanged = serversChanged
            return (state.configuration, state.servers)
        }
        watch(configuration, servers: servers)
    }

    /// Takes a reloaded resolver configuration: a new upstream, and a new watcher or none.
    func apply(_ configuration: ResolverConfiguration) throws {
        let servers = Self.servers(configuration, resolvConf: resolvConf)
        let (changed, notify) = try state.withLock { state in
            try upstream.replace(with: Self.resolved(configuration, servers))
            defer {
                state.configuration = configuration
                state.servers = servers
            }
            return (state.servers != servers, state.serversChanged)
        }
        watch(configuration, servers: servers)
        if changed {
            notify()
            logger.notice("upstream servers changed", metadata: metadata(servers, configuration))
        }
    }

    /// Stops the watcher and the upstream: queries still in flight fail.
    func shutdown() {
        let watcher = state.withLock { state in
            defer { state.watcher = nil }
            return state.watcher
        }
        watcher?.stop()
        upstream.shutdown()
    }

    /// Starts or stops the watcher for `configuration`, whose upstream asks `servers`. A
    /// watcher that cannot start (no inotify instance left) is logged; the daemon then
    /// keeps these servers until a reload or restart.
    private func watch(_ configuration: ResolverConfiguration, servers: [String]) {
        let old = state.withLock { state in
            defer { state.watcher = nil }
            return state.watcher
        }
        old?.stop()
        guard configuration.upstreams.isEmpty else { return }
        do {
            let watcher = try ResolvConfWatcher(path: resolvConf, servers: servers) { [weak self] servers in
                self?.fileChanged(servers)
            }
            state.withLock { $0.watcher = watcher }
        } catch {
            logger.warning("cannot follow \(resolvConf): keeping its current servers until a reload",
                           metadata: ["error": "\(error)"])
        }
    }

    /// On the watcher's thread: the file lists other servers now.
    private func fileChanged(_ servers: [String]) {
        let outcome: Result<(ResolverConfiguration, @Sendable () -> Void)?, any Error> = state.withLock { state in
            // A reload that configured upstreams meanwhile wins.
            guard state.configuration.upstreams.isEmpty else { return .success(nil) }
            do {
                try upstream.replace(with: Self.resolved(state.configuration, servers))
            } catch {
                return .failure(error)
            }
            state.servers = servers
            return .success((state.configuration, state.serversChanged))
        }
        switch outcome {
        case .success(let changed?):
            changed.1()
            logger.notice("upstream servers changed", metadata: metadata(servers, changed.0))
        case .success(nil):
            break
        case .failure(let error):
            logger.error("\(resolvConf) lists servers the resolver does not take; keeping the current ones",
                         metadata: ["servers": "\(servers.joined(separator: " "))", "error": "\(error)"])
        }
    }

    /// The servers of `configuration`: its upstreams, else those of `resolvConf`.
    private static func servers(_ configuration: ResolverConfiguration, resolvConf: String) -> [String] {
        configuration.upstreams.isEmpty ? ResolvConf.nameserversOrLocalhost(at: resolvConf) : configuration.upstreams
    }

    private static func resolved(_ configuration: ResolverConfiguration, _ servers: [String]) -> ResolverConfiguration {
        var resolved = configuration
        resolved.upstreams = servers
        return resolved
    }

    private func metadata(_ servers: [String], _ configuration: ResolverConfiguration) -> Logger.Metadata {
        ["servers": "\(servers.joined(separator: " "))",
         "from": "\(configuration.upstreams.isEmpty ? resolvConf : "configuration")"]
    }
}
