import MailDiscovery
import Synchronization

/// One query in flight: the continuation of the awaiting task, resumed exactly once by
/// whichever comes first: the libunbound callback, the timeout, task cancellation or
/// resolver shutdown.
final class PendingQuery: Sendable {
    typealias Outcome = Result<DNSAnswer, ResolutionFailure>

    let name: String
    let type: RecordType
    let mode: DNSSECMode
    /// The in-flight set of the engine that started this query.
    let registry: QueryRegistry

    private enum Phase {
        case created
        /// Failed before the continuation was installed (cancelled task).
        case failedEarly(ResolutionFailure)
        case waiting(CheckedContinuation<Outcome, Never>)
        case finished
    }

    private struct State {
        var phase = Phase.created
        var asyncID: Int32?
    }

    private let state = Mutex(State())

    init(name: String, type: RecordType, mode: DNSSECMode, registry: QueryRegistry) {
        self.name = name
        self.type = type
        self.mode = mode
        self.registry = registry
    }

    /// Installs the continuation. Returns false (after resuming it) if the query already
    /// failed, e.g. because the task was cancelled before it started.
    func install(_ continuation: CheckedContinuation<Outcome, Never>) -> Bool {
        let early: ResolutionFailure? = state.withLock { s in
            if case .failedEarly(let failure) = s.phase {
                s.phase = .finished
                return failure
            }
            s.phase = .waiting(continuation)
            return nil
        }
        if let early { continuation.resume(returning: .failure(early)) }
        return early == nil
    }

    /// Records libunbound's id. Returns false if the query has already finished
    /// meanwhile (the caller must then cancel the id).
    func started(asyncID: Int32) -> Bool {
        state.withLock { s in
            s.asyncID = asyncID
            guard case .waiting = s.phase else { return false }
            return true
        }
    }

    /// Resumes the awaiting task with `outcome` if nothing else did yet. Returns the
    /// libunbound id to cancel when the query ended without its callback, else nil.
    @discardableResult
    func finish(_ outcome: Outcome) -> Int32? {
        let taken: (CheckedContinuation<Outcome, Never>?, Int32?) = state.withLock { s in
            switch s.phase {
            case .created:
                if case .failure(let failure) = outcome { s.phase = .failedEarly(failure) }
                return (nil, nil)
            case .waiting(let continuation):
                s.phase = .finished
                return (continuation, s.asyncID)
            case .failedEarly, .finished:
                return (nil, nil)
            }
        }
        taken.0?.resume(returning: outcome)
        return taken.0 == nil ? nil : taken.1
    }
}

/// Queries for which libunbound holds a +1 reference (passed as callback context).
/// Whoever removes an entry releases that reference: the callback, a successful
/// `ub_cancel`, a failed `ub_resolve_async`, or shutdown.
final class QueryRegistry: Sendable {
    private let queries = Mutex([ObjectIdentifier: PendingQuery]())

    /// Records that libunbound is about to hold `query`, and takes that reference.
    func retain(_ query: PendingQuery) -> UnsafeMutableRawPointer {
        queries.withLock { $0[ObjectIdentifier(query)] = query }
        return Unmanaged.passRetained(query).toOpaque()
    }

    /// Drops libunbound's reference to `query` if still held; true if this call did.
    @discardableResult
    func release(_ query: PendingQuery) -> Bool {
        let removed = queries.withLock { $0.removeValue(forKey: ObjectIdentifier(query)) != nil }
        if removed { Unmanaged.passUnretained(query).release() }
        return removed
    }

    /// Drops every reference still held and returns those queries.
    func releaseAll() -> [PendingQuery] {
        let all = queries.withLock { map in
            defer { map.removeAll() }
            return Array(map.values)
        }
        for query in all { Unmanaged.passUnretained(query).release() }
        return all
    }
}
