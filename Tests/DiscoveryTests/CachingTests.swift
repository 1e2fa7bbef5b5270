import Foundation
import KnotHarness
import MailDiscovery
import Testing

/// The cache in front of libunbound and a real Knot server (DESIGN.md §2).
@Suite struct CachingTests {
    @Test func anAnswerIsServedFromTheCacheUntilExactlyItsTTL() async throws {
        let time = ManualTime()
        let rig = try Rig(try await SharedKnot.server(), time: time)
        let first = try await rig.resolver.resolve(name: "_submission._tcp.example.net", type: .srv)
        #expect(first.source == .dns)
        #expect((285...300).contains(first.ttl))
        time.advance(by: TimeInterval(first.ttl) - 1)
        let cached = try await rig.resolver.resolve(name: "_submission._tcp.example.net", type: .srv)
        #expect(cached.source == .cache && cached.ttl == 1)
        #expect(rig.upstream.count("_submission._tcp.example.net", .srv) == 1)
        time.advance(by: 1)
        let refreshed = try await rig.resolver.resolve(name: "_submission._tcp.example.net", type: .srv)
        #expect(refreshed.source == .dns)
        #expect(rig.upstream.count("_submission._tcp.example.net", .srv) == 2)
    }

    @Test func nxdomainAndNodataAreCachedForTheSOADerivedTTL() async throws {
        let time = ManualTime()
        let rig = try Rig(try await SharedKnot.server(), time: time)
        let questions = [("_imaps._tcp.nxdomain.example.net", DNSAnswer.Outcome.noDomain),
                         ("_imaps._tcp.nodata.example.net", .noData)]
        // libunbound may hand the answer over a second or two after Knot's TTL started
        // (whole seconds, a busy machine): the cache keeps exactly what it was given.
        for (name, outcome) in questions {
            let answer = try await rig.resolver.resolve(name: name, type: .srv)
            #expect(answer.answer.outcome == outcome)
            #expect((45...60).contains(answer.ttl), "SOA minimum 60")
            let ttl = TimeInterval(answer.ttl)
            time.advance(by: ttl - 1)
            #expect(try await rig.resolver.resolve(name: name, type: .srv).source == .cache)
            time.advance(by: 1)
            #expect(try await rig.resolver.resolve(name: name, type: .srv).source == .dns)
            #expect(rig.upstream.count(name, .srv) == 2)
            time.advance(by: -ttl)
        }
    }

    @Test func negativeTTLIsCappedBySetting() async throws {
        var settings = CacheSettings()
        settings.negativeTTLCap = 10
        let time = ManualTime()
        let rig = try Rig(try await SharedKnot.server(), time: time, cache: settings)
        let answer = try await rig.resolver.resolve(name: "_pop3._tcp.nosrv.example.net", type: .srv)
        #expect(answer.ttl == 10)
        time.advance(by: 10)
        #expect(try await rig.resolver.resolve(name: "_pop3._tcp.nosrv.example.net", type: .srv).source == .dns)
    }

    @Test func concurrentIdenticalQuestionsShareOneUpstreamQuery() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let answers = try await withThrowingTaskGroup(of: ResolvedAnswer.self) { group in
            for _ in 0..<50 {
                group.addTask { try await rig.resolver.resolve(name: "smtp1.example.net", type: .aaaa) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 50)
        #expect(Set(answers.map { Set($0.answer.addresses) }) == [["2001:db8::31", "2001:db8::32"]])
        #expect(rig.upstream.count("smtp1.example.net", .aaaa) == 1)
        #expect(rig.resolver.counters.dnsQueries == 1)
    }

    @Test func theLeastRecentlyUsedNameIsForgottenFirst() async throws {
        var settings = CacheSettings()
        settings.maxEntries = 2
        let rig = try Rig(try await SharedKnot.server(), cache: settings)
        for name in ["imap1.example.net", "imap2.example.net", "imap1.example.net", "smtp1.example.net"] {
            _ = try await rig.resolver.resolve(name: name, type: .a)
        }
        #expect(rig.resolver.cachedEntries == 2)
        _ = try await rig.resolver.resolve(name: "imap1.example.net", type: .a)
        _ = try await rig.resolver.resolve(name: "imap2.example.net", type: .a)
        #expect(rig.upstream.count("imap1.example.net", .a) == 1, "kept: used recently")
        #expect(rig.upstream.count("imap2.example.net", .a) == 2, "evicted, asked again")
    }

    // libunbound keeps its own cache by the real clock (whole seconds), under ours: tests
    // that need an answer to expire upstream too use live.example.net (TTL 2) and wait 3.1 s.

    @Test func aRecordChangedLiveIsSeenOnlyAfterItsTTL() async throws {
        let knot = try await KnotServer.start(signing: false)
        let time = ManualTime()   // our cache's clock; libunbound's runs for real
        let rig = try Rig(knot, time: time)
        let before = try await rig.discovery.lookup(email: "a@live.example.net")
        #expect(before.candidates.first?.addresses.contains("127.0.0.41") == true)
        try await knot.change(zone: "example.net", [
            .unset(owner: "live", type: "A"), .set(owner: "live", ttl: 2, type: "A", data: "127.0.0.42"),
        ])
        let during = try await rig.discovery.lookup(email: "a@live.example.net")
        #expect(during.source == .cache)
        #expect(during.candidates.first?.addresses.contains("127.0.0.41") == true)
        try await Task.sleep(for: .milliseconds(3100))
        time.advance(by: 2)
        let after = try await rig.discovery.lookup(email: "a@live.example.net")
        #expect(after.source == .dns)
        #expect(after.candidates.first?.addresses.contains("127.0.0.42") == true)
        #expect(after.candidates.first?.addresses.contains("127.0.0.41") == false)
        await knot.stop()
    }

    @Test func whenDNSIsDownExpiredAnswersAreServedStaleAndNewNamesFail() async throws {
        let knot = try await KnotServer.start(signing: false)
        let rig = try Rig(knot, timeout: .seconds(1))
        let fresh = try await rig.discovery.lookup(email: "a@live.example.net")
        await knot.stop()
        try await Task.sleep(for: .milliseconds(3100))   // every record of live.example.net has expired
        // Both wait for the query timeout: asked at once.
        async let neverSeen: (any Error)? = {
            do { _ = try await rig.discovery.lookup(email: "a@never-seen.example.net") } catch { return error }
            return nil
        }()
        let started = ContinuousClock.now
        let stale = try await rig.discovery.lookup(email: "a@live.example.net")
        let waited = ContinuousClock.now - started
        #expect(stale.source == .stale)
        #expect(stale.summary == fresh.summary)
        #expect(Set(stale.candidates[0].addresses) == ["127.0.0.41", "2001:db8::41"])
        #expect(stale.candidates.allSatisfy { $0.ttl == 0 })
        #expect(rig.resolver.counters.staleServed > 0)
        #expect(waited < .seconds(7), "the 1 s query timeout (plus slack for a busy machine), not libunbound's 17 s")
        guard case .resolutionFailed(let domain, _)? = await neverSeen as? DiscoveryError else {
            Issue.record("a name never seen: \(String(describing: await neverSeen))")
            return
        }
        #expect(domain == "never-seen.example.net")
    }

    @Test func staleDataIsNotServedPastStaleMaxAge() async throws {
        let knot = try await KnotServer.start(signing: false)
        var settings = CacheSettings()
        settings.staleMaxAge = 60
        let time = ManualTime()
        let rig = try Rig(knot, time: time, timeout: .seconds(1), cache: settings)
        _ = try await rig.discovery.lookup(email: "a@live.example.net", resolve: false)
        await knot.stop()
        try await Task.sleep(for: .milliseconds(3100))
        time.advance(by: 2 + 59)
        #expect(try await rig.discovery.lookup(email: "a@live.example.net", resolve: false).source == .stale)
        time.advance(by: 2)
        await #expect(throws: DiscoveryError.self) {
            try await rig.discovery.lookup(email: "a@live.example.net", resolve: false)
        }
    }

    @Test func aCacheSavedAndLoadedAnswersWithoutDNSUntilItsAbsoluteExpiry() async throws {
        let time = ManualTime()
        let rig = try Rig(try await SharedKnot.server(), time: time)
        _ = try await rig.discovery.lookup(email: "a@example.net")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try CacheFile.save(rig.resolver.snapshot(), to: file)

        time.advance(by: 30)
        let restarted = try Rig(rig.knot, time: time)
        restarted.resolver.restore(try CacheFile.load(from: file))
        #expect(restarted.resolver.cachedEntries == rig.resolver.cachedEntries)
        let again = try await restarted.discovery.lookup(email: "a@example.net")
        #expect(again.source == .cache)
        #expect(restarted.upstream.total == 0)
        let imap2 = try #require(again.candidates.first { $0.host == "imap2.example.net" })
        #expect((75...90).contains(imap2.ttl), "120 s A record, 30 s later")
        time.advance(by: 30)   // the negative answers (60 s) have expired: only they are asked again
        _ = try await restarted.discovery.lookup(email: "a@example.net")
        #expect(restarted.upstream.count("ghost.example.net", .a) == 1)
        #expect(restarted.upstream.count("pop.example.net", .a) == 1)
        #expect(restarted.upstream.count("imap2.example.net", .a) == 0)
        #expect(restarted.upstream.count("_imaps._tcp.example.net", .srv) == 0)
    }
}
