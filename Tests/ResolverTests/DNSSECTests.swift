import KnotHarness
import MailDiscovery
import Resolver
import Testing

/// secure.example.org, signed by Knot with the fixed key, validated against its DS as trust anchor.
@Suite struct DNSSECTests {
    /// The DS with its last digest digit changed: a trust anchor that matches no key.
    static func wrong(_ ds: String) -> String {
        String(ds.dropLast()) + (ds.last == "0" ? "1" : "0")
    }

    static let imaps = SRVRecord(priority: 0, weight: 1, port: 993, target: "mail.secure.example.org")

    @Test func dsIsStableAcrossRuns() async throws {
        let ds = try #require(try await SharedKnot.server().dsRecord)
        #expect(ds.hasPrefix("secure.example.org. DS 2464 13 2 "))
        #expect(ds == "secure.example.org. DS 2464 13 2 119020d2e1aa1bce7cea09e0660e38b0b7c25395acaa42918576d92ea08fb3ab")
    }

    @Test(arguments: [DNSSECMode.permissive, .strict])
    func rightAnchorGivesSecure(_ mode: DNSSECMode) async throws {
        let knot = try await SharedKnot.server()
        let resolver = try makeResolver(knot, dnssec: mode, anchors: [try #require(knot.dsRecord)])
        defer { resolver.shutdown() }
        let srv = try await resolver.query(name: "_imaps._tcp.secure.example.org", type: .srv)
        #expect(normalized(srv, zoneTTL: 600) == DNSAnswer(outcome: .records, services: [Self.imaps], ttl: 600, dnssec: .secure))
        let a = try await resolver.query(name: "mail.secure.example.org", type: .a)
        #expect(normalized(a, zoneTTL: 300) == DNSAnswer(outcome: .records, addresses: ["127.0.0.61"], ttl: 300, dnssec: .secure))
        let aaaa = try await resolver.query(name: "mail.secure.example.org", type: .aaaa)
        #expect(normalized(aaaa, zoneTTL: 300) == DNSAnswer(outcome: .records, addresses: ["::1"], ttl: 300, dnssec: .secure))
        let pop = try await resolver.query(name: "_pop3._tcp.secure.example.org", type: .srv)
        #expect(pop.services == [SRVRecord(priority: 0, weight: 0, port: 0, target: ".")])
        #expect(pop.dnssec == .secure)
        // Authenticated denial (NSEC) is secure too, with the SOA negative TTL.
        #expect(normalized(try await resolver.query(name: "_pop3s._tcp.secure.example.org", type: .srv), zoneTTL: 60)
                == DNSAnswer(outcome: .noDomain, ttl: 60, dnssec: .secure))
        #expect(normalized(try await resolver.query(name: "mail.secure.example.org", type: .srv), zoneTTL: 60)
                == DNSAnswer(outcome: .noData, ttl: 60, dnssec: .secure))
        // Names outside the anchored zone stay insecure.
        let imap = try await resolver.query(name: "_imap._tcp.secure.example.org", type: .srv)
        #expect(imap.dnssec == .secure)
        #expect(imap.services == [SRVRecord(priority: 0, weight: 1, port: 143, target: "imap1.example.net")])
        #expect(try await resolver.query(name: "imap1.example.net", type: .a).dnssec == .insecure)
    }

    @Test func wrongAnchorGivesBogusAnswersInPermissiveMode() async throws {
        let knot = try await SharedKnot.server()
        let resolver = try makeResolver(knot, dnssec: .permissive, anchors: [Self.wrong(try #require(knot.dsRecord))])
        defer { resolver.shutdown() }
        let srv = try await resolver.query(name: "_imaps._tcp.secure.example.org", type: .srv)
        #expect(srv.outcome == .records)
        #expect(srv.services == [Self.imaps])
        #expect(srv.dnssec == .bogus)
        #expect(try await resolver.query(name: "imap1.example.net", type: .a).dnssec == .insecure)
    }

    @Test func wrongAnchorThrowsInStrictMode() async throws {
        let knot = try await SharedKnot.server()
        let resolver = try makeResolver(knot, dnssec: .strict, anchors: [Self.wrong(try #require(knot.dsRecord))])
        defer { resolver.shutdown() }
        let (error, _) = await failure { () async throws(ResolutionFailure) in
            try await resolver.query(name: "_imaps._tcp.secure.example.org", type: .srv)
        }
        let reason = try #require(error).reason
        print("strict bogus: \(reason)")
        #expect(reason.hasPrefix("DNSSEC bogus"))
        #expect(reason.count > "DNSSEC bogus: ".count)
        // Unsigned names outside the anchor still resolve in strict mode.
        #expect(try await resolver.query(name: "imap1.example.net", type: .a).addresses == ["127.0.0.11"])
    }

    @Test func offModeReportsInsecureEvenWithAnAnchor() async throws {
        let knot = try await SharedKnot.server()
        let resolver = try makeResolver(knot, dnssec: .off, anchors: [Self.wrong(try #require(knot.dsRecord))])
        defer { resolver.shutdown() }
        #expect(normalized(try await resolver.query(name: "_imaps._tcp.secure.example.org", type: .srv), zoneTTL: 600)
                == DNSAnswer(outcome: .records, services: [Self.imaps], ttl: 600, dnssec: .insecure))
    }

    @Test func unsignedServingOfTheAnchoredZoneIsBogus() async throws {
        let knot = try await KnotServer.start(signing: false)
        #expect(knot.dsRecord == nil)
        let anchor = try #require(try await SharedKnot.server().dsRecord)
        let resolver = try makeResolver(knot, dnssec: .permissive, anchors: [anchor])
        defer { resolver.shutdown() }
        let srv = try await resolver.query(name: "_imaps._tcp.secure.example.org", type: .srv)
        #expect(srv.dnssec == .bogus)
        #expect(srv.services == [Self.imaps])
        await knot.stop()
    }
}
