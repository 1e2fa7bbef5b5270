import Foundation
import Testing
@testable import MailDiscovery

@Suite struct DNSCacheTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let key = CacheKey(name: "_imaps._tcp.example.net", type: .srv)
    let answer = DNSAnswer(outcome: .records,
                           services: [SRVRecord(priority: 0, weight: 1, port: 993, target: "imap.example.net")],
                           ttl: 300, dnssec: .insecure)

    func settings(maxEntries: Int = 100, negativeCap: UInt32 = 300, staleMaxAge: TimeInterval = 3600) -> CacheSettings {
        var settings = CacheSettings()
        settings.maxEntries = maxEntries
        settings.negativeTTLCap = negativeCap
        settings.staleMaxAge = staleMaxAge
        return settings
    }

    @Test func anEntryIsFreshUntilExactlyItsTTL() {
        var cache = DNSCache(settings: settings())
        cache.put(key, answer, now: start)
        guard case .fresh(let entry) = cache.lookup(key, now: start.addingTimeInterval(299.9)) else {
            Issue.record("expected fresh just before the TTL"); return
        }
        #expect(entry.answer == answer)
        #expect(entry.secondsLeft(at: start.addingTimeInterval(100)) == 200)
        guard case .expired = cache.lookup(key, now: start.addingTimeInterval(300)) else {
            Issue.record("expected expired at exactly the TTL"); return
        }
    }

    @Test func aZeroTTLAnswerIsNotCached() {
        var cache = DNSCache(settings: settings())
        var zero = answer
        zero.ttl = 0
        #expect(cache.put(key, zero, now: start) == nil)
        #expect(cache.lookup(key, now: start) == .miss)
    }

    @Test func negativeAnswersAreCachedForTheirTTLCappedBySetting() {
        var cache = DNSCache(settings: settings(negativeCap: 120))
        let nodata = DNSAnswer(outcome: .noData, ttl: 60, dnssec: .insecure)
        let nxdomain = DNSAnswer(outcome: .noDomain, ttl: 3600, dnssec: .insecure)
        let otherKey = CacheKey(name: "_pop3._tcp.example.net", type: .srv)
        cache.put(key, nodata, now: start)
        cache.put(otherKey, nxdomain, now: start)
        #expect(cache.lookup(key, now: start.addingTimeInterval(59)) == .fresh(CacheEntry(answer: nodata, expiry: start.addingTimeInterval(60))))
        guard case .expired = cache.lookup(key, now: start.addingTimeInterval(60)) else { Issue.record("nodata past TTL"); return }
        guard case .fresh = cache.lookup(otherKey, now: start.addingTimeInterval(119)) else { Issue.record("capped nxdomain before cap"); return }
        guard case .expired = cache.lookup(otherKey, now: start.addingTimeInterval(120)) else { Issue.record("nxdomain past cap"); return }
    }

    @Test func expiredEntriesStayServableAsStaleOnlyUpToStaleMaxAge() {
        var cache = DNSCache(settings: settings(staleMaxAge: 1000))
        cache.put(key, answer, now: start)
        guard case .expired(let entry) = cache.lookup(key, now: start.addingTimeInterval(300 + 1000)) else {
            Issue.record("expected stale-servable at expiry + StaleMaxAge"); return
        }
        #expect(entry.answer == answer)
        #expect(cache.lookup(key, now: start.addingTimeInterval(300 + 1000.5)) == .miss)
        #expect(cache.count == 0)
    }

    @Test func theLeastRecentlyUsedEntryIsEvictedFirst() {
        var cache = DNSCache(settings: settings(maxEntries: 3))
        let keys = (0..<4).map { CacheKey(name: "host\($0).example.net", type: .a) }
        for key in keys.prefix(3) { cache.put(key, answer, now: start) }
        _ = cache.lookup(keys[0], now: start)  // keys[1] is now the least recently used
        cache.put(keys[3], answer, now: start)
        #expect(cache.count == 3)
        #expect(cache.lookup(keys[1], now: start) == .miss)
        for index in [0, 2, 3] {
            guard case .fresh = cache.lookup(keys[index], now: start) else { Issue.record("lost \(index)"); return }
        }
    }

    @Test func flushDropsOneDomainAndTheNamesBelowIt() {
        var cache = DNSCache(settings: settings())
        cache.put(key, answer, now: start)
        cache.put(CacheKey(name: "example.net", type: .a), answer, now: start)
        cache.put(CacheKey(name: "imap.example.org", type: .a), answer, now: start)
        cache.put(CacheKey(name: "notexample.net", type: .a), answer, now: start)
        #expect(cache.flush(domain: "example.net") == 2)
        #expect(cache.count == 2)
        #expect(cache.flush(domain: nil) == 2)
        #expect(cache.count == 0)
    }

    @Test func expireAllMakesEveryEntryStaleAndKeepsTheirOrder() {
        var cache = DNSCache(settings: settings(maxEntries: 2))
        let negative = CacheKey(name: "_pop3._tcp.example.net", type: .srv)
        let old = CacheKey(name: "old.example.net", type: .a)
        cache.put(old, DNSAnswer(outcome: .records, addresses: ["192.0.2.1"], ttl: 10, dnssec: .insecure), now: start)
        cache.put(key, answer, now: start)
        let later = start.addingTimeInterval(20)
        cache.put(negative, DNSAnswer(outcome: .noDomain, ttl: 60, dnssec: .insecure), now: later)
        cache.expireAll(now: later)
        // `old` was evicted (capacity 2); the order of the others is kept: `key` is the
        // oldest and goes when `old` comes back.
        cache.put(old, DNSAnswer(outcome: .records, addresses: ["192.0.2.1"], ttl: 10, dnssec: .insecure), now: later)
        #expect(cache.lookup(key, now: later) == .miss)
        guard case .expired(let entry) = cache.lookup(negative, now: later) else {
            Issue.record("a negative answer stays fresh"); return
        }
        #expect(entry.expiry == later)
        guard case .fresh = cache.lookup(old, now: later) else {
            Issue.record("an answer put after the change is not fresh"); return
        }
    }

    @Test func pruneDropsOnlyWhatCannotBeServedEvenStale() {
        var cache = DNSCache(settings: settings(staleMaxAge: 100))
        let short = CacheKey(name: "short.example.net", type: .a)
        var shortAnswer = answer
        shortAnswer.ttl = 10
        cache.put(short, shortAnswer, now: start)
        cache.put(key, answer, now: start)
        cache.prune(now: start.addingTimeInterval(111))
        #expect(cache.count == 1)
        #expect(cache.peekForTest(key) != nil)
    }

    @Test func savedEntriesRoundTripThroughAFileKeepingAbsoluteExpiry() throws {
        var cache = DNSCache(settings: settings(staleMaxAge: 100))
        let keys = (0..<5).map { CacheKey(name: "h\($0).example.net", type: .aaaa) }
        for (index, key) in keys.enumerated() {
            var timed = answer
            timed.ttl = UInt32(50 * (index + 1))    // 50 … 250 s
            timed.dnssec = index.isMultiple(of: 2) ? .secure : .insecure
            cache.put(key, timed, now: start)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try CacheFile.save(cache.entries, to: file)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // Read back 160 s later: the 50 s entry is past stale (50 + 100 < 160), the 100 s and
        // 150 s entries are stale, the 200 s and 250 s entries fresh with their absolute expiry.
        let later = start.addingTimeInterval(160)
        var restored = DNSCache(settings: settings(staleMaxAge: 100))
        restored.restore(try CacheFile.load(from: file), now: later)
        #expect(restored.count == 4)
        #expect(restored.lookup(keys[0], now: later) == .miss)
        for index in [1, 2] {
            guard case .expired = restored.lookup(keys[index], now: later) else { Issue.record("\(index) not stale"); return }
        }
        for (index, key) in keys.enumerated().dropFirst(3) {
            guard case .fresh(let entry) = restored.lookup(key, now: later) else { Issue.record("lost \(index)"); return }
            #expect(entry.expiry == start.addingTimeInterval(TimeInterval(50 * (index + 1))))
            #expect(entry.answer.dnssec == (index.isMultiple(of: 2) ? .secure : .insecure))
            #expect(entry.secondsLeft(at: later) == 50 * (index + 1) - 160)
        }
    }

    @Test func aCorruptCacheFileIsAnErrorNotACrash() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("{\"version\":1,\"entries\":[{\"key\":".utf8).write(to: file)
        #expect(throws: (any Error).self) { try CacheFile.load(from: file) }
        try Data("{\"version\":99,\"contents\":[]}".utf8).write(to: file)
        #expect(throws: JSONFile.UnsupportedVersion.self) { try CacheFile.load(from: file) }
    }

    @Test func restoredEntriesExpiringImpossiblyLateAreDroppedAndNoExpiryTraps() {
        let now = start
        let late = [1e19, 32_503_680_000 /* year 3000 */, now.timeIntervalSince1970 + 86_401]
        var saved = late.enumerated().map { index, expiry in
            (key: CacheKey(name: "late\(index).example.net", type: .srv),
             entry: CacheEntry(answer: answer, expiry: Date(timeIntervalSince1970: expiry)))
        }
        saved.append((key: key, entry: CacheEntry(answer: answer, expiry: now.addingTimeInterval(86_400))))
        var cache = DNSCache(settings: settings())
        #expect(cache.restore(saved, now: now) == 3)
        #expect(cache.count == 1)
        guard case .fresh(let kept) = cache.lookup(key, now: now) else { Issue.record("lost the good entry"); return }
        #expect(kept.secondsLeft(at: now) == 86_400)
        // Whatever a file said, counting the seconds left does not trap.
        #expect(CacheEntry(answer: answer, expiry: Date(timeIntervalSince1970: 1e19)).secondsLeft(at: now) == 86_400)
        #expect(CacheEntry(answer: answer, expiry: Date(timeIntervalSince1970: -1e19)).secondsLeft(at: now) == 0)
    }

    @Test func oneAnswerHoldsAtMostTheBoundedAddressesAndRecords() {
        let limits = CacheSettings()
        let addresses = DNSAnswer(outcome: .records, addresses: (0..<2000).map { "192.0.2.\($0 % 256)-\($0)" },
                                  ttl: 1_000_000, dnssec: .insecure).bounded(by: limits)
        #expect(addresses.addresses.count == limits.maxAddressesPerAnswer)
        #expect(addresses.addresses.first == "192.0.2.0-0")
        #expect(addresses.ttl == CacheSettings.maxTTL)
        let records = (0..<100).map { SRVRecord(priority: UInt16(100 - $0), weight: UInt16($0 % 3), port: 993, target: "t\($0)") }
        let services = DNSAnswer(outcome: .records, services: records, ttl: 60, dnssec: .insecure).bounded(by: limits)
        #expect(services.services.count == limits.maxRecordsPerAnswer)
        // The best records stay: the lowest priorities.
        #expect(Set(services.services.map(\.priority)) == Set(1...UInt16(limits.maxRecordsPerAnswer)))
        // Restored entries are cut the same way.
        var cache = DNSCache(settings: settings())
        cache.restore([(key: key, entry: CacheEntry(answer: DNSAnswer(outcome: .records, services: records, ttl: 60,
                                                                      dnssec: .insecure), expiry: start + 60))], now: start)
        #expect(cache.peekForTest(key)?.answer.services.count == limits.maxRecordsPerAnswer)
    }
}

extension DNSCache {
    /// The entry without touching recency or expiry (tests only).
    func peekForTest(_ key: CacheKey) -> CacheEntry? {
        entries.first { $0.key == key }?.entry
    }
}
