import FoundationEssentials
import Synchronization

/// Where an answer came from, in PROTOCOL.md's words.
public enum AnswerSource: String, Codable, Sendable, Hashable, Comparable {
    case cache, dns, stale

    /// `stale` outranks `dns`, which outranks `cache`: a reply built from several answers
    /// reports the worst of their sources.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .cache: 0
        case .dns: 1
        case .stale: 2
        }
    }
}

/// An answer and how long it may still be used.
public struct ResolvedAnswer: Hashable, Sendable {
    public var answer: DNSAnswer
    /// Seconds left of its TTL; 0 when stale.
    public var ttl: Int
    public var source: AnswerSource
}

/// Counters of the cache, for `Stats`.
public struct CacheCounters: Hashable, Sendable {
    public var hits = 0
    public var misses = 0
    public var staleServed = 0
    public var dnsQueries = 0
}

/// The DNS cache in front of an upstream resolver (DESIGN.md §2): answers fresh entries
/// without a query, shares one upstream query among identical concurrent questions, and
/// serves expired entries as stale when a refresh fails. Safe to call from any task; a
/// cache hit takes one short lock and never suspends.
public final class CachingResolver: Sendable {
    private struct State {
        var cache: DNSCache
        var counters = CacheCounters()
        var inFlight: [CacheKey: Task<Result<DNSAnswer, ResolutionFailure>, Never>] = [:]
        /// Counts the changes of upstream servers; a query's answer is cached only if no
        /// change came while it ran.
        var upstreamGeneration = 0
    }

    private let upstream: any DNSQuerying
    let time: any TimeSource
    private let state: Mutex<State>

    public init(upstream: any DNSQuerying, time: any TimeSource = SystemTime(),
                settings: CacheSettings = CacheSettings()) {
        self.upstream = upstream
        self.time = time
        state = Mutex(State(cache: DNSCache(settings: settings)))
    }

    /// The answer to (`name`, `type`): from the cache while fresh, else from DNS, else,
    /// when DNS fails, the expired entry as stale. Throws only when none of these exists.
    public func resolve(name: String, type: RecordType) async throws(ResolutionFailure) -> ResolvedAnswer {
        try await finish(begin(CacheKey(name: name, type: type))).get()
    }

    /// The answers to several questions at once: under one lock when all are fresh (the
    /// path of every repeated lookup: no task, no suspension), else every missing one
    /// queried at once (each query is a task of its own), then collected.
    public func results(for keys: [CacheKey]) async -> [CacheKey: Result<ResolvedAnswer, ResolutionFailure>] {
        if let fresh = freshResults(for: keys) { return fresh }
        let started = keys.map { ($0, begin($0)) }
        var results: [CacheKey: Result<ResolvedAnswer, ResolutionFailure>] = [:]
        for (key, lookup) in started {
            results[key] = await finish(lookup)
        }
        return results
    }

    /// A question looked up in the cache: answered, or waiting for its upstream query.
    private enum Lookup {
        case fresh(ResolvedAnswer)
        /// The query, and the expired entry to serve as stale if it fails.
        case querying(Task<Result<DNSAnswer, ResolutionFailure>, Never>, expired: CacheEntry?)
    }

    /// Looks `key` up in the cache and, when it is not fresh, starts (or joins) its query.
    private func begin(_ key: CacheKey) -> Lookup {
        let now = time.now()
        return state.withLock { state in
            switch state.cache.lookup(key, now: now) {
            case .fresh(let entry):
                state.counters.hits += 1
                return .fresh(ResolvedAnswer(answer: entry.answer, ttl: entry.secondsLeft(at: now), source: .cache))
            case .expired(let entry):
                state.counters.misses += 1
                return .querying(sharedQuery(for: key, in: &state), expired: entry)
            case .miss:
                state.counters.misses += 1
                return .querying(sharedQuery(for: key, in: &state), expired: nil)
            }
        }
    }

    /// The answer of a `begin`: from DNS, else the expired entry as stale.
    private func finish(_ lookup: Lookup) async -> Result<ResolvedAnswer, ResolutionFailure> {
        switch lookup {
        case .fresh(let answer):
            return .success(answer)
        case .querying(let query, let expired):
            switch await query.value {
            case .success(let answer):
                return .success(ResolvedAnswer(answer: answer, ttl: Int(effectiveTTL(answer)), source: .dns))
            case .failure(let failure):
                guard let expired else { return .failure(failure) }
                state.withLock { $0.counters.staleServed += 1 }
                return .success(ResolvedAnswer(answer: expired.answer, ttl: 0, source: .stale))
            }
        }
    }

    /// Every answer of `keys` if all are fresh, counted as hits; nil (nothing counted) if not.
    /// Never waits.
    public func freshResults(for keys: [CacheKey]) -> [CacheKey: Result<ResolvedAnswer, ResolutionFailure>]? {
        let now = time.now()
        return state.withLock { state in
            var answers: [CacheKey: Result<ResolvedAnswer, ResolutionFailure>] = [:]
            answers.reserveCapacity(keys.count)
            for key in keys {
                guard case .fresh(let entry) = state.cache.lookup(key, now: now) else { return nil }
                answers[key] = .success(ResolvedAnswer(answer: entry.answer, ttl: entry.secondsLeft(at: now), source: .cache))
            }
            state.counters.hits += keys.count
            return answers
        }
    }

    /// The running upstream query for `key`, or a new one. Its result is cached by the task
    /// itself, so a caller that goes away does not lose it for the others.
    private func sharedQuery(for key: CacheKey, in state: inout State) -> Task<Result<DNSAnswer, ResolutionFailure>, Never> {
        if let running = state.inFlight[key] { return running }
        state.counters.dnsQueries += 1
        let generation = state.upstreamGeneration
        let settings = state.cache.settings
        let task = Task<Result<DNSAnswer, ResolutionFailure>, Never> { [upstream, time] in
            let outcome = await upstream.answer(name: key.name, type: key.type).map { $0.bounded(by: settings) }
            self.state.withLock { state in
                // After a change of upstreams, the entry is a newer query's to write.
                guard state.upstreamGeneration == generation else { return }
                state.inFlight.removeValue(forKey: key)
                if case .success(let answer) = outcome { state.cache.put(key, answer, now: time.now()) }
            }
            return outcome
        }
        state.inFlight[key] = task
        return task
    }

    private func effectiveTTL(_ answer: DNSAnswer) -> UInt32 {
        answer.isNegative ? min(answer.ttl, state.withLock { $0.cache.settings.negativeTTLCap }) : answer.ttl
    }

    public var counters: CacheCounters { state.withLock { $0.counters } }

    /// Counts `count` answers served from the cache by someone who kept them (`Discovery`'s
    /// prepared lookups), so that the hit counter tells every answer served.
    func countHits(_ count: Int) {
        state.withLock { $0.counters.hits += count }
    }

    /// Number of cached (name, type) entries.
    public var cachedEntries: Int { state.withLock { $0.cache.count } }

    /// Drops the cached entries of `domain` (and names below it), or all; returns how many.
    public func flush(domain: String?) -> Int {
        state.withLock { $0.cache.flush(domain: domain) }
    }

    /// The upstream servers changed (split-horizon DNS: the old network's answers may be
    /// wrong on the new one): every cached answer, negative ones included, is expired, to
    /// be served only as stale when the new servers fail; questions asked from now on do
    /// not join queries sent to the old servers, whose answers are not cached.
    public func upstreamsChanged() {
        let now = time.now()
        state.withLock { state in
            state.upstreamGeneration += 1
            state.inFlight.removeAll()
            state.cache.expireAll(now: now)
        }
    }

    /// Changes with every `upstreamsChanged()`.
    public var upstreamGeneration: Int { state.withLock { $0.upstreamGeneration } }

    /// Drops entries too old to be served even as stale.
    public func prune() {
        state.withLock { $0.cache.prune(now: time.now()) }
    }

    /// A copy of every entry, for `CacheFile.save`: expiries in wall-clock time.
    public func snapshot() -> [(key: CacheKey, entry: CacheEntry)] {
        state.withLock { $0.cache.entries }.map { key, entry in
            (key, CacheEntry(answer: entry.answer, expiry: time.wallClock(entry.expiry)))
        }
    }

    /// Loads saved entries (from `CacheFile.load`, expiries in wall-clock time), keeping
    /// their absolute expiry; returns how many were dropped as impossible (see
    /// `DNSCache.restore`).
    @discardableResult
    public func restore(_ saved: [(key: CacheKey, entry: CacheEntry)]) -> Int {
        let entries = saved.map { key, entry in
            (key: key, entry: CacheEntry(answer: entry.answer, expiry: time.fromWallClock(entry.expiry)))
        }
        return state.withLock { $0.cache.restore(entries, now: time.now()) }
    }
}
