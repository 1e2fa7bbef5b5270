import Foundation
import KnotHarness
import MailDiscovery
import Testing

/// A repeated lookup is answered from its prepared form (DESIGN.md §2: no DNS and no
/// re-ranking on a cache hit) with exactly what the cache would give.
@Suite struct PreparedLookupTests {
    @Test func aRepeatedLookupIsTheSameAnswerWithItsTTLsCountedDown() async throws {
        let time = ManualTime()
        let rig = try Rig(try await SharedKnot.server(), time: time)
        let first = try await rig.discovery.lookup(email: "example.net", want: .submission)
        let (queries, hits) = (rig.upstream.total, rig.resolver.counters.hits)
        time.advance(by: 10)
        let second = try #require(try rig.discovery.cachedLookup(email: "bob@example.net", want: .submission))
        #expect(rig.upstream.total == queries)
        #expect(second.source == .cache && first.source == .dns)
        // 2 SRV answers and A + AAAA of smtp1, smtp2 and smtp-backup, all counted as hits.
        #expect(rig.resolver.counters.hits == hits + 8)
        #expect(second.summary == first.summary)
        #expect(second.verifyNames == first.verifyNames)
        for (before, after) in zip(first.candidates, second.candidates) {
            #expect(after.ttl == before.ttl - 10)
            #expect(Set(after.addresses) == Set(before.addresses))
        }
    }

    @Test func aPreparedLookupLastsOnlyAsLongAsItsShortestAnswer() async throws {
        let time = ManualTime()
        let rig = try Rig(try await SharedKnot.server(), time: time)
        _ = try await rig.discovery.lookup(email: "example.net", want: .submission)
        // smtp2 has no AAAA: that NODATA answer is cached for the SOA minimum, 60 s.
        time.advance(by: 59)
        #expect(try rig.discovery.cachedLookup(email: "example.net", want: .submission) != nil)
        time.advance(by: 1)
        #expect(try rig.discovery.cachedLookup(email: "example.net", want: .submission) == nil)
        let refreshed = try await rig.discovery.lookup(email: "example.net", want: .submission)
        #expect(refreshed.source == .dns)
        #expect(rig.upstream.count("smtp2.example.net", .aaaa) == 2)
        #expect(rig.upstream.count("_submission._tcp.example.net", .srv) == 1)
    }

    @Test func aFlushForgetsPreparedLookups() async throws {
        let rig = try Rig(try await SharedKnot.server())
        _ = try await rig.discovery.lookup(email: "example.net")
        #expect(try rig.discovery.cachedLookup(email: "example.net") != nil)
        #expect(rig.discovery.flush(domain: "example.net") > 0)
        #expect(try rig.discovery.cachedLookup(email: "example.net") == nil)
    }

    @Test func eachOptionOfALookupIsPreparedApart() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let resolved = try await rig.discovery.lookup(email: "example.net", want: .submission)
        let queries = rig.upstream.total
        let unresolved = try #require(try rig.discovery.cachedLookup(email: "example.net", want: .submission, resolve: false))
        #expect(rig.upstream.total == queries)
        #expect(resolved.candidates.allSatisfy { !$0.addresses.isEmpty })
        #expect(unresolved.candidates.allSatisfy { $0.addresses.isEmpty })
        #expect(try rig.discovery.cachedLookup(email: "example.net", want: .retrieval) == nil)
    }
}
