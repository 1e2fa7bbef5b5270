import CUnbound
import MailDiscovery
import Synchronization

/// Owns one configured `ub_ctx`, its poll thread and the queries in flight.
///
/// `@unchecked Sendable`: the only non-Sendable state is the `ub_ctx` pointer. libunbound
/// makes `ub_resolve_async` and `ub_cancel` safe from any thread (they take the context's
/// own lock); `ub_process` is only ever called on the poll thread; and `lifecycle` makes
/// sure no call reaches the context once `shutdown()` started deleting it.
final class UnboundEngine: @unchecked Sendable {
    let configuration: ResolverConfiguration
    private let ctx: OpaquePointer
    private let poller: PollThread
    /// True while the context may be used. Held across `ub_resolve_async`/`ub_cancel`
    /// (never across a callback, so it cannot deadlock with the poll thread).
    private let lifecycle = Mutex(true)
    private let registry = QueryRegistry()
    /// Timeouts, checked on the poll thread (not on the cooperative pool, which a busy
    /// process may starve).
    private let deadlines = Mutex(DeadlineQueue())

    init(_ configuration: ResolverConfiguration) throws(ResolverSetupError) {
        self.configuration = configuration
        let ctx = try UnboundContext.make(configuration)
        self.ctx = ctx
        let poller: PollThread
        do {
            poller = try PollThread(watching: ub_fd(ctx), onReadable: { [ctx] in _ = ub_process(ctx) })
        } catch {
            ub_ctx_delete(ctx)
            throw ResolverSetupError("resolver thread: \(error)")
        }
        self.poller = poller
        poller.nextTimeout = { [weak self] in self?.deadlines.withLock { $0.millisecondsToNext() } ?? -1 }
        poller.onTimer = { [weak self] in self?.expire() }
        do {
            try poller.start()
        } catch {
            ub_ctx_delete(ctx)
            throw ResolverSetupError("resolver thread: \(error)")
        }
    }

    /// A query not yet started.
    func makeQuery(name: String, type: RecordType) -> PendingQuery {
        PendingQuery(name: name, type: type, mode: configuration.dnssec, registry: registry)
    }

    /// Starts `query`, whose continuation is installed; it is resumed exactly once.
    func start(_ query: PendingQuery) {
        let context = registry.retain(query)
        var asyncID: Int32 = 0
        let rc: Int32? = lifecycle.withLock { alive in
            guard alive else { return nil }
            return ub_resolve_async(ctx, query.name, query.type.rrtype, 1 /* class IN */,
                                    context, unboundCallback, &asyncID)
        }
        guard rc == 0 else {
            registry.release(query)
            let reason = rc.map { "resolver: \(UnboundContext.errorText($0))" } ?? "resolver shut down"
            query.finish(.failure(ResolutionFailure(reason: reason)))
            return
        }
        guard query.started(asyncID: asyncID) else {
            cancel(query, asyncID: asyncID)
            return
        }
        let timeout = configuration.queryTimeout
        if deadlines.withLock({ $0.append(query, timeout: timeout) }) {
            poller.wake()   // it may be sleeping without a deadline
        }
    }

    /// On the poll thread: fails the queries whose deadline passed.
    private func expire() {
        for query in deadlines.withLock({ $0.popExpired() }) {
            fail(query, ResolutionFailure(reason:
                "timeout: no answer within \(configuration.queryTimeout) for \(query.name) \(query.type.rawValue)"))
        }
    }

    /// Ends `query` with `failure` (timeout, task cancellation) unless it already ended,
    /// and tells libunbound to forget it.
    func fail(_ query: PendingQuery, _ failure: ResolutionFailure) {
        if let asyncID = query.finish(.failure(failure)) {
            cancel(query, asyncID: asyncID)
        }
    }

    /// Wakes and joins the poll thread, fails every query still in flight, then deletes
    /// the context. Idempotent.
    func shutdown() {
        let wasAlive = lifecycle.withLock { alive in
            defer { alive = false }
            return alive
        }
        guard wasAlive else { return }
        poller.stop()   // joined: no callback runs after this
        for query in registry.releaseAll() {
            query.finish(.failure(ResolutionFailure(reason: "resolver shut down")))
        }
        if poller.isCurrent {
            // Last reference dropped inside a callback: ub_process is still on the stack
            // with this context, so it must outlive it. Leak the context (never happens
            // in practice: continuations resume tasks elsewhere).
            return
        }
        ub_ctx_delete(ctx)
    }

    deinit { shutdown() }

    private func cancel(_ query: PendingQuery, asyncID: Int32) {
        let rc: Int32 = lifecycle.withLock { alive in
            alive ? ub_cancel(ctx, asyncID) : -1
        }
        // Success means the callback will never run: drop the reference it would have taken.
        if rc == 0 { registry.release(query) }
    }
}

/// The libunbound callback (runs on the poll thread): maps the result and resumes the query.
private let unboundCallback: ub_callback_type = { context, err, result in
    guard let context else { return }
    let query = Unmanaged<PendingQuery>.fromOpaque(context).takeUnretainedValue()
    let outcome: PendingQuery.Outcome
    if err != 0 {
        outcome = .failure(ResolutionFailure(reason: "resolver: \(UnboundContext.errorText(err))"))
    } else if let result {
        outcome = UnboundAnswer(result).answer(type: query.type, mode: query.mode)
    } else {
        outcome = .failure(ResolutionFailure(reason: "resolver: no result"))
    }
    if let result { ub_resolve_free(result) }
    query.registry.release(query)
    query.finish(outcome)
}

extension RecordType {
    /// The DNS RR type number.
    var rrtype: Int32 {
        switch self {
        case .a: 1
        case .aaaa: 28
        case .srv: 33
        }
    }
}
