import FoundationEssentials

/// A cache key: one DNS question.
public struct CacheKey: Hashable, Codable, Sendable {
    public var name: String
    public var type: RecordType
    public init(name: String, type: RecordType) {
        self.name = name
        self.type = type
    }
}

/// A cached answer and the absolute time it expires. Absolute, so that an entry written
/// to disk and read after a restart is served no longer than its TTL allows.
public struct CacheEntry: Hashable, Codable, Sendable {
    public var answer: DNSAnswer
    public var expiry: Date
    public init(answer: DNSAnswer, expiry: Date) {
        self.answer = answer
        self.expiry = expiry
    }

    /// Whole seconds left before `expiry`, never negative.
    public func secondsLeft(at now: Date) -> Int {
        let left = expiry.timeIntervalSince(now)
        return left > 0 ? Int(min(left, Double(CacheSettings.maxTTL))) : 0
    }
}

/// Limits of the DNS cache (DESIGN.md §2).
public struct CacheSettings: Hashable, Sendable {
    /// A TTL over this counts as this (unbound's `cache-max-ttl`).
    public static let maxTTL: UInt32 = 86_400
    /// `CacheMaxNames`: most (name, type) entries kept; least recently used go first.
    public var maxEntries: Int = 10_000
    /// Negative answers (NXDOMAIN, NODATA) are kept at most this long (RFC 2308 cap).
    public var negativeTTLCap: UInt32 = 300
    /// `StaleMaxAge`: how long after expiry an entry may still be served as stale (RFC 8767).
    public var staleMaxAge: TimeInterval = 86_400
    /// Most addresses one A or AAAA answer keeps (the first ones), so that what one name
    /// may hold is bounded: `CacheMaxNames` bounds entries, this their size.
    public var maxAddressesPerAnswer = 16
    /// Most records one SRV answer keeps (the best: lowest priority, then highest weight).
    public var maxRecordsPerAnswer = 32

    public init() {}
}

/// What the cache holds for a question at a given time.
public enum CacheLookup: Hashable, Sendable {
    /// Within its TTL.
    case fresh(CacheEntry)
    /// Past its TTL but within `staleMaxAge`: to be served only when a refresh fails.
    case expired(CacheEntry)
    case miss
}

/// The DNS record cache: put / lookup / prune / flush with the time passed in (never read
/// inside), bounded by LRU. Not thread-safe by itself; `CachingResolver` guards it.
public struct DNSCache: Sendable {
    public let settings: CacheSettings
    private var store: LRUStore<CacheKey, CacheEntry>

    public init(settings: CacheSettings = CacheSettings()) {
        self.settings = settings
        store = LRUStore(capacity: settings.maxEntries)
    }

    public var count: Int { store.count }

    /// The entry for `key` at `now`. An entry is fresh while `now < expiry`; an entry
    /// older than `expiry + staleMaxAge` is dropped.
    public mutating func lookup(_ key: CacheKey, now: Date) -> CacheLookup {
        guard let entry = store.get(key) else { return .miss }
        if now < entry.expiry { return .fresh(entry) }
        if now.timeIntervalSince(entry.expiry) <= settings.staleMaxAge { return .expired(entry) }
        store.remove(key)
        return .miss
    }

    /// Stores `answer`, received at `now`, for its TTL (negative answers for at most
    /// `negativeTTLCap`). An answer with TTL 0 is not cached. Returns the stored entry.
    @discardableResult
    public mutating func put(_ key: CacheKey, _ answer: DNSAnswer, now: Date) -> CacheEntry? {
        let ttl = min(answer.isNegative ? min(answer.ttl, settings.negativeTTLCap) : answer.ttl, CacheSettings.maxTTL)
        guard ttl > 0 else { return nil }
        let entry = CacheEntry(answer: answer, expiry: now.addingTimeInterval(TimeInterval(ttl)))
        store.set(key, entry)
        return entry
    }

    /// Makes every entry expire at `now` at the latest (their answers become stale), in
    /// the same least-recently-used order.
    public mutating func expireAll(now: Date) {
        for (key, entry) in store.entriesOldestFirst {
            store.set(key, CacheEntry(answer: entry.answer, expiry: min(entry.expiry, now)))
        }
    }

    /// Drops every entry that can no longer be served, not even as stale.
    public mutating func prune(now: Date) {
        for (key, entry) in store.entriesOldestFirst
        where now.timeIntervalSince(entry.expiry) > settings.staleMaxAge {
            store.remove(key)
        }
    }

    /// Drops the entries of `domain` and of every name below it, or everything when nil.
    /// Returns how many entries went.
    public mutating func flush(domain: String?) -> Int {
        let doomed = store.keys.filter { key in
            guard let domain else { return true }
            return key.name == domain || key.name.hasSuffix("." + domain)
        }
        for key in doomed { store.remove(key) }
        return doomed.count
    }

    /// Every entry, least recently used first, for writing to disk.
    public var entries: [(key: CacheKey, entry: CacheEntry)] {
        store.entriesOldestFirst.map { ($0.key, $0.value) }
    }

    /// Re-inserts saved entries (in the order `entries` gave them), skipping those that
    /// can no longer be served at `now`, and cutting answers to the settings' bounds.
    /// An entry that expires later than `maxTTL` from `now` (a damaged or forged file:
    /// the cache never makes one) is dropped; returns how many were.
    @discardableResult
    public mutating func restore(_ saved: [(key: CacheKey, entry: CacheEntry)], now: Date) -> Int {
        var dropped = 0
        for (key, var entry) in saved where now.timeIntervalSince(entry.expiry) <= settings.staleMaxAge {
            guard entry.expiry.timeIntervalSince(now) <= TimeInterval(CacheSettings.maxTTL) else {
                dropped += 1
                continue
            }
            entry.answer = entry.answer.bounded(by: settings)
            store.set(key, entry)
        }
        return dropped
    }
}
