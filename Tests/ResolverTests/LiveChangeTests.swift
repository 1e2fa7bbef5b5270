import KnotHarness
import MailDiscovery
import Resolver
import Testing

/// Records changed with knotc while the resolver runs. libunbound caches every answer for
/// its TTL, so a change becomes visible only once the cached copy expired: the `live`
/// names have a 2 s TTL. Observed: libunbound's cache clock counts whole seconds and an
/// entry is still served (with TTL 0) during the second in which it expires, so a 2 s
/// record may be served up to 3 s after it was fetched.
@Suite struct LiveChangeTests {
    @Test func changedAddressIsSeenAfterTheOldTTLRunsOut() async throws {
        let knot = try await KnotServer.start(signing: false)
        let resolver = try makeResolver(knot)
        defer { resolver.shutdown() }

        let before = try await resolver.query(name: "live.example.net", type: .a)
        #expect(before.addresses == ["127.0.0.41"])
        #expect(hasZoneTTL(before, 2))
        let asked = ContinuousClock.now

        try await knot.change(zone: "example.net", [
            .unset(owner: "live", type: "A", data: "127.0.0.41"),
            .set(owner: "live", ttl: 2, type: "A", data: "127.0.0.42"),
        ])
        let cached = try await resolver.query(name: "live.example.net", type: .a)
        if ContinuousClock.now - asked < .milliseconds(1500) {
            // Observed: libunbound still answers from its cache within the TTL.
            #expect(cached.addresses == ["127.0.0.41"])
        }

        try await Task.sleep(until: asked + .milliseconds(3100))
        let after = try await resolver.query(name: "live.example.net", type: .a)
        #expect(after.addresses == ["127.0.0.42"])
        #expect(hasZoneTTL(after, 2))
        await knot.stop()
    }

    @Test func changedSRVIsSeenByAFreshResolverAtOnce() async throws {
        let knot = try await KnotServer.start(signing: false)
        let first = try makeResolver(knot)
        defer { first.shutdown() }
        #expect(try await first.query(name: "_imaps._tcp.live.example.net", type: .srv).services
                == [SRVRecord(priority: 0, weight: 1, port: 993, target: "live.example.net")])

        try await knot.change(zone: "example.net", [
            .unset(owner: "_imaps._tcp.live", type: "SRV"),
            .set(owner: "_imaps._tcp.live", ttl: 2, type: "SRV", data: "1 2 10993 live.example.net."),
            .set(owner: "_imaps._tcp.live", ttl: 2, type: "SRV", data: "3 4 20993 imap1.example.net."),
        ])
        // A new resolver has its own empty cache: no waiting needed.
        let second = try makeResolver(knot)
        defer { second.shutdown() }
        let answer = try await second.query(name: "_imaps._tcp.live.example.net", type: .srv)
        #expect(Set(answer.services) == [SRVRecord(priority: 1, weight: 2, port: 10993, target: "live.example.net"),
                                         SRVRecord(priority: 3, weight: 4, port: 20993, target: "imap1.example.net")])
        #expect(hasZoneTTL(answer, 2))
        await knot.stop()
    }

    @Test func removedRecordsBecomeNegativeAnswers() async throws {
        let knot = try await KnotServer.start(signing: false)
        try await knot.change(zone: "example.net", [.unset(owner: "live"), .unset(owner: "imap2")])
        let resolver = try makeResolver(knot)
        defer { resolver.shutdown() }
        // `live` keeps `_imaps._tcp.live` below it: an empty non-terminal, so NODATA.
        #expect(normalized(try await resolver.query(name: "live.example.net", type: .aaaa), zoneTTL: 60)
                == DNSAnswer(outcome: .noData, ttl: 60, dnssec: .insecure))
        #expect(normalized(try await resolver.query(name: "imap2.example.net", type: .a), zoneTTL: 60)
                == DNSAnswer(outcome: .noDomain, ttl: 60, dnssec: .insecure))
        await knot.stop()
    }
}
