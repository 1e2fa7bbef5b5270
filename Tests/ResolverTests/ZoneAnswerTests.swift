import KnotHarness
import MailDiscovery
import Resolver
import Testing

/// Real answers from Knot serving Tests/KnotHarness/Zones/example.net.zone, through libunbound.
@Suite struct ZoneAnswerTests {
    static let srvSets: [(String, [SRVRecord], UInt32)] = [
        ("_imaps._tcp.example.net", [.init(priority: 0, weight: 1, port: 993, target: "imap1.example.net"),
                                     .init(priority: 0, weight: 3, port: 993, target: "imap2.example.net"),
                                     .init(priority: 10, weight: 0, port: 993, target: "imap-backup.example.net")], 3600),
        ("_imap._tcp.example.net", [.init(priority: 5, weight: 0, port: 143, target: "imap1.example.net"),
                                    .init(priority: 20, weight: 0, port: 143, target: "noaddr.example.net")], 1800),
        ("_pop3s._tcp.example.net", [.init(priority: 10, weight: 1, port: 995, target: "pop.example.net")], 900),
        ("_pop3._tcp.example.net", [.init(priority: 20, weight: 1, port: 110, target: "pop.example.net"),
                                    .init(priority: 20, weight: 1, port: 110, target: "ghost.example.net")], 900),
        ("_submissions._tcp.example.net", [.init(priority: 0, weight: 1, port: 465, target: "smtp1.example.net"),
                                           .init(priority: 0, weight: 1, port: 465, target: "smtp2.example.net")], 600),
        ("_submission._tcp.example.net", [.init(priority: 0, weight: 1, port: 587, target: "smtp1.example.net"),
                                          .init(priority: 0, weight: 1, port: 25, target: "smtp2.example.net"),
                                          .init(priority: 0, weight: 1, port: 2525, target: "smtp2.example.net"),
                                          .init(priority: 5, weight: 0, port: 587, target: "smtp-backup.example.net")], 300),
        ("_imaps._tcp.nopop.example.net", [.init(priority: 0, weight: 1, port: 993, target: "imap1.example.net")], 300),
        ("_imaps._tcp.regional.example.net", [.init(priority: 0, weight: 1, port: 993, target: "imap.eu.example.net"),
                                              .init(priority: 0, weight: 1, port: 993, target: "imap.us.example.net")], 300),
        ("_imaps._tcp.xn--bcher-kva.example.net", [.init(priority: 0, weight: 1, port: 993, target: "imap1.example.net")], 300),
    ]

    @Test(arguments: srvSets.indices)
    func srvRecordsAndTTLAsInTheZone(_ index: Int) async throws {
        let (name, expected, ttl) = Self.srvSets[index]
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let answer = try await resolver.query(name: name, type: .srv)
        #expect(answer.outcome == .records)
        #expect(Set(answer.services) == Set(expected))
        #expect(answer.services.count == expected.count)
        #expect(hasZoneTTL(answer, ttl), "ttl \(answer.ttl)")
        #expect(answer.dnssec == .insecure)
        #expect(answer.addresses.isEmpty)
    }

    @Test func mixedCaseTargetInZoneFileComesBackLowerCase() async throws {
        // The zone writes "IMAP2.Example.NET."; Knot already lower-cases it on load, and
        // SRVRdata lower-cases again (see SRVRdataTests for the parser on its own).
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let answer = try await resolver.query(name: "_IMAPS._tcp.Example.NET", type: .srv)
        #expect(answer.services.contains { $0.target == "imap2.example.net" })
    }

    @Test(arguments: [
        ("_pop3._tcp.nopop.example.net"), ("_pop3s._tcp.nopop.example.net"), ("_imap._tcp.nopop.example.net"),
        ("_submission._tcp.nothing.example.net"),
    ])
    func dotTargetMeansNotOffered(_ name: String) async throws {
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let answer = try await resolver.query(name: name, type: .srv)
        #expect(answer.outcome == .records)
        #expect(answer.services == [SRVRecord(priority: 0, weight: 0, port: 0, target: ".")])
        #expect(answer.services.first?.isNotOffered == true)
        #expect(hasZoneTTL(answer, 300), "ttl \(answer.ttl)")
    }

    static let addressSets: [(String, RecordType, [String], UInt32)] = [
        ("imap1.example.net", .a, ["127.0.0.11"], 3600),
        ("imap1.example.net", .aaaa, ["::1"], 3600),
        ("imap2.example.net", .a, ["127.0.0.12"], 120),
        ("imap2.example.net", .aaaa, ["2001:db8::12"], 240),
        ("imap-backup.example.net", .a, ["127.0.0.13"], 3600),
        ("pop.example.net", .aaaa, ["::1"], 900),
        ("smtp1.example.net", .a, ["127.0.0.31", "127.0.0.32"], 600),
        ("smtp1.example.net", .aaaa, ["2001:db8::31", "2001:db8::32"], 600),
        ("smtp2.example.net", .a, ["127.0.0.33"], 600),
        ("smtp-backup.example.net", .aaaa, ["2001:db8::34"], 600),
        ("live.example.net", .a, ["127.0.0.41"], 2),
        ("nosrv.example.net", .a, ["127.0.0.50"], 300),
        ("imap.eu.example.net", .aaaa, ["2001:db8::71"], 300),
        ("imap.us.example.net", .a, ["127.0.0.72"], 300),
    ]

    @Test(arguments: addressSets.indices)
    func addressesAndTTLAsInTheZone(_ index: Int) async throws {
        let (name, type, expected, ttl) = Self.addressSets[index]
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let answer = try await resolver.query(name: name, type: type)
        #expect(answer.outcome == .records)
        #expect(answer.addresses.sorted() == expected)
        #expect(hasZoneTTL(answer, ttl), "ttl \(answer.ttl)")
        #expect(answer.services.isEmpty)
    }

    static let negatives: [(String, RecordType, DNSAnswer.Outcome)] = [
        ("nxdomain.example.net", .a, .noDomain),
        ("ghost.example.net", .aaaa, .noDomain),
        ("_imaps._tcp.nosrv.example.net", .srv, .noDomain),
        ("_submission._tcp.nopop.example.net", .srv, .noDomain),
        ("imap-backup.example.net", .aaaa, .noData),
        ("pop.example.net", .a, .noData),
        ("noaddr.example.net", .a, .noData),
        ("noaddr.example.net", .aaaa, .noData),
        ("nosrv.example.net", .srv, .noData),
        ("_imaps._tcp.nodata.example.net", .srv, .noData),
        ("_tcp.example.net", .srv, .noData),   // empty non-terminal
    ]

    @Test(arguments: negatives.indices)
    func negativeAnswersCarryTheSOANegativeTTL(_ index: Int) async throws {
        let (name, type, outcome) = Self.negatives[index]
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let answer = try await resolver.query(name: name, type: type)
        #expect(normalized(answer, zoneTTL: 60) == DNSAnswer(outcome: outcome, ttl: 60, dnssec: .insecure))
    }

    @Test func cachedAnswerReportsTheRemainingTTL() async throws {
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let start = ContinuousClock.now
        let first = try await resolver.query(name: "imap2.example.net", type: .a)
        try await Task.sleep(for: .milliseconds(1100))
        let second = try await resolver.query(name: "imap2.example.net", type: .a)
        let waited = Int((ContinuousClock.now - start).components.seconds)
        #expect(hasZoneTTL(first, 120))
        // Whole seconds: at least one gone, at most the seconds waited plus one.
        #expect(second.ttl < first.ttl && Int(first.ttl - second.ttl) <= waited + 1)
    }

    @Test func manyConcurrentQueriesAllComeBack() async throws {
        let resolver = try makeResolver(try await SharedKnot.server())
        defer { resolver.shutdown() }
        let names = ZoneAnswerTests.addressSets.map { ($0.0, $0.1, $0.2) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for round in 0 ..< 20 {
                for (name, type, expected) in names {
                    group.addTask {
                        let answer = try await resolver.query(name: round % 2 == 0 ? name : name.uppercased(), type: type)
                        return answer.addresses.sorted() == expected
                    }
                }
            }
            var count = 0
            for try await ok in group {
                #expect(ok)
                count += 1
            }
            #expect(count == 20 * names.count)
        }
    }
}
