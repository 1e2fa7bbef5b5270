import MailDiscovery

/// A `DNSQuerying` over libunbound (DESIGN.md §4): one validating resolver context,
/// configured once, served by its own poll thread. Safe to share between tasks.
///
/// Call `shutdown()` when done (also done on deinit); queries still in flight then fail.
public final class UnboundResolver: DNSQuerying {
    /// The settings this resolver was made with.
    public var configuration: ResolverConfiguration { engine.configuration }
    private let engine: UnboundEngine

    /// Creates and fully configures the libunbound context and starts its thread.
    public init(configuration: ResolverConfiguration = ResolverConfiguration()) throws(ResolverSetupError) {
        engine = try UnboundEngine(configuration)
    }

    /// Asks for `name`/`type`. Throws `ResolutionFailure` on SERVFAIL and other error
    /// rcodes, on timeout (`configuration.queryTimeout`), on task cancellation, after
    /// `shutdown()`, and, in strict DNSSEC mode, for bogus answers.
    public func query(name: String, type: RecordType) async throws(ResolutionFailure) -> DNSAnswer {
        try await answer(name: name, type: type).get()
    }

    /// `query` as a `Result`: the `DNSQuerying` requirement.
    public func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
        let query = engine.makeQuery(name: name, type: type)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if query.install(continuation) { engine.start(query) }
            }
        } onCancel: {
            engine.fail(query, ResolutionFailure(reason: "cancelled: \(name) \(type.rawValue)"))
        }
        return outcome.mapError { Reachability.explain($0, upstreams: engine.configuration.upstreams) }
    }

    /// Fails the queries in flight, stops the thread and frees the context. Idempotent.
    public func shutdown() {
        engine.shutdown()
    }

    deinit { engine.shutdown() }
}
