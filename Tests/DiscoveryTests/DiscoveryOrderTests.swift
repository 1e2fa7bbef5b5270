import Foundation
import KnotHarness
import MailDiscovery
import Testing

/// Lookups of the zone `example.net` (Tests/KnotHarness/Zones) through libunbound and Knot.
@Suite struct DiscoveryOrderTests {
    @Test func retrievalListsIMAPByPriorityThenPOP3SkippingTargetsWithoutAddresses() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "alice@Example.NET")
        #expect(result.domain == "example.net")
        #expect(Set(result.summary.prefix(2)) == ["imaps imap1.example.net:993", "imaps imap2.example.net:993"])
        #expect(Array(result.summary.dropFirst(2)) == [
            "imap imap1.example.net:143",        // priority 5
            "imaps imap-backup.example.net:993", // priority 10; imap noaddr (20) has no address
            "pop3s pop.example.net:995",         // POP3 only after every IMAP endpoint
            "pop3 pop.example.net:110",          // ghost.example.net does not exist
        ])
        #expect(result.source == .dns)
        #expect(result.dnssec == .insecure)
        #expect(result.verifyNames == ["example.net"])

        let byHost = Dictionary(result.candidates.map { ("\($0.service.rawValue) \($0.host)", $0) }) { first, _ in first }
        let imap1 = try #require(byHost["imaps imap1.example.net"])
        #expect(imap1.tls == .implicit && imap1.priority == 0 && imap1.weight == 1)
        #expect(Set(imap1.addresses) == ["::1", "127.0.0.11"])
        #expect(imap1.addresses.count == 2)
        #expect((3585...3600).contains(imap1.ttl))
        let imap2 = try #require(byHost["imaps imap2.example.net"])
        #expect(imap2.weight == 3)
        #expect((105...120).contains(imap2.ttl), "the shortest of SRV 3600, A 120, AAAA 240")
        let backup = try #require(byHost["imaps imap-backup.example.net"])
        #expect(backup.addresses == ["127.0.0.13"])
        let starttls = try #require(byHost["imap imap1.example.net"])
        #expect(starttls.tls == .starttls && starttls.port == 143)
        #expect(result.candidates.last?.addresses == ["::1"])
    }

    @Test func aSecondLookupIsAnsweredFromTheCacheWithoutDNS() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let first = try await rig.discovery.lookup(email: "example.net")
        let queries = rig.upstream.total
        let second = try await rig.discovery.lookup(email: "bob@example.net")
        #expect(rig.upstream.total == queries)
        #expect(second.source == .cache)
        #expect(Set(second.summary) == Set(first.summary))
        #expect(rig.resolver.counters.hits > 0)
    }

    @Test func submissionPutsImplicitTLSFirstThenPort587AndPort25Last() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "a@example.net", want: .submission)
        #expect(Set(result.summary.prefix(2)) == ["submissions smtp1.example.net:465", "submissions smtp2.example.net:465"])
        #expect(Array(result.summary.dropFirst(2)) == [
            "submission smtp1.example.net:587", "submission smtp2.example.net:2525",
            "submission smtp2.example.net:25", "submission smtp-backup.example.net:587",
        ])
        let smtp1 = try #require(result.candidates.first { $0.host == "smtp1.example.net" })
        #expect(Set(smtp1.addresses) == ["2001:db8::31", "2001:db8::32", "127.0.0.31", "127.0.0.32"])
        #expect(smtp1.addresses.first?.contains(":") == true, "families interleaved, IPv6 first")
        #expect(smtp1.addresses[1].contains("."))
    }

    @Test func aSingleServiceIsQueriedAlone() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "a@example.net", want: .single(.pop3))
        #expect(result.summary == ["pop3 pop.example.net:110"])
        #expect(rig.upstream.count("_imaps._tcp.example.net", .srv) == 0)
        #expect(rig.upstream.count("_pop3._tcp.example.net", .srv) == 1)
    }

    @Test func imapGroupQueriesOnlyIMAPAndKeepsTheRetrievalOrderOfIMAP() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "a@example.net", want: .imapGroup)
        #expect(Set(result.summary.prefix(2)) == ["imaps imap1.example.net:993", "imaps imap2.example.net:993"])
        #expect(Array(result.summary.dropFirst(2)) == ["imap imap1.example.net:143", "imaps imap-backup.example.net:993"])
        #expect(rig.upstream.count("_imaps._tcp.example.net", .srv) == 1)
        #expect(rig.upstream.count("_imap._tcp.example.net", .srv) == 1)
        #expect(rig.upstream.count("_pop3s._tcp.example.net", .srv) == 0)
        #expect(rig.upstream.count("_pop3._tcp.example.net", .srv) == 0)
        let pop3 = try await rig.discovery.lookup(email: "a@example.net", want: .pop3Group)
        #expect(pop3.summary == ["pop3s pop.example.net:995", "pop3 pop.example.net:110"])
        #expect(rig.upstream.count("_imaps._tcp.example.net", .srv) == 1, "the IMAP answer was not asked again")
    }

    @Test func withinAGroupImplicitTLSComesFirstOnEqualPriority() async throws {
        // groups.example.net: the STARTTLS records weigh 100, the implicit-TLS ones 0, so a
        // weighted draw alone would nearly always put STARTTLS first.
        let rig = try Rig(try await SharedKnot.server())
        for _ in 0..<30 {
            let imap = try await rig.discovery.lookup(email: "a@groups.example.net", want: .imapGroup)
            #expect(imap.summary == ["imaps imap1.example.net:993", "imap imap1.example.net:143"])
            let pop3 = try await rig.discovery.lookup(email: "a@groups.example.net", want: .pop3Group)
            #expect(pop3.summary == ["pop3s pop.example.net:995", "pop3 pop.example.net:110"])
        }
        await #expect(throws: DiscoveryError.noService(domain: "nothing.example.net", want: "pop3-group")) {
            try await rig.discovery.lookup(email: "a@nothing.example.net", want: .pop3Group)
        }
    }

    @Test func dotTargetsOfferNothingAndOnlyDotsIsNoService() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let nopop = try await rig.discovery.lookup(email: "a@nopop.example.net")
        #expect(nopop.summary == ["imaps imap1.example.net:993"])
        await #expect(throws: DiscoveryError.noService(domain: "nothing.example.net", want: "retrieval")) {
            try await rig.discovery.lookup(email: "a@nothing.example.net")
        }
        await #expect(throws: DiscoveryError.noService(domain: "nothing.example.net", want: "submission")) {
            try await rig.discovery.lookup(email: "a@nothing.example.net", want: .submission)
        }
    }

    @Test func noSRVRecordsAtAllIsNoService() async throws {
        let rig = try Rig(try await SharedKnot.server())
        for domain in ["nosrv.example.net", "nodata.example.net", "nxdomain.example.net"] {
            await #expect(throws: DiscoveryError.noService(domain: domain, want: "retrieval")) {
                try await rig.discovery.lookup(email: "a@\(domain)")
            }
        }
    }

    @Test func targetsInTheClientsSubdomainComeFirst() async throws {
        let rig = try Rig(try await SharedKnot.server())
        for seed in 0..<20 {
            _ = seed
            let eu = try await rig.discovery.lookup(email: "a@regional.example.net", clientHost: "ws1.eu.example.net")
            #expect(eu.candidates.first?.host == "imap.eu.example.net")
            let us = try await rig.discovery.lookup(email: "a@regional.example.net", clientHost: "ws7.us.example.net")
            #expect(us.candidates.first?.host == "imap.us.example.net")
        }
    }

    @Test func equalPriorityAndWeightIsDrawnAnewOnEachLookup() async throws {
        let rig = try Rig(try await SharedKnot.server())
        var firsts: Set<String> = []
        for _ in 0..<40 {
            let result = try await rig.discovery.lookup(email: "a@regional.example.net", clientHost: "ws1.example.com")
            firsts.insert(result.candidates[0].host)
        }
        #expect(firsts == ["imap.eu.example.net", "imap.us.example.net"])
    }

    @Test func internationalizedDomainsAreLookedUpInALabelForm() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "jürgen@Bücher.example.net")
        #expect(result.domain == "xn--bcher-kva.example.net")
        #expect(result.summary == ["imaps imap1.example.net:993"])
        #expect(result.verifyNames == ["xn--bcher-kva.example.net"])
    }

    @Test func withoutResolvingTheEndpointsHaveNoAddressesAndTheSRVTTL() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "a@example.net", want: .single(.imap), resolve: false)
        #expect(result.summary == ["imap imap1.example.net:143", "imap noaddr.example.net:143"])
        #expect(result.candidates.allSatisfy { $0.addresses.isEmpty && (1785...1800).contains($0.ttl) })
        #expect(rig.upstream.count("imap1.example.net", .a) == 0)
    }

    @Test func anInvalidAddressIsRefusedBeforeAnyQuery() async throws {
        let rig = try Rig(try await SharedKnot.server())
        await #expect(throws: DiscoveryError.invalidAddress(email: "a@exa..mple.net", reason: .emptyLabel)) {
            try await rig.discovery.lookup(email: "a@exa..mple.net")
        }
        #expect(rig.upstream.total == 0)
    }

    @Test func rfc6186PriorityOrderLetsABetterPOP3GoFirst() async throws {
        let knot = try await KnotServer.start(signing: false)
        try await knot.change(zone: "example.net", [
            .set(owner: "_imaps._tcp.prio", ttl: 300, type: "SRV", data: "10 1 993 imap1.example.net."),
            .set(owner: "_imap._tcp.prio", ttl: 300, type: "SRV", data: "0 1 143 imap-backup.example.net."),
            .set(owner: "_pop3s._tcp.prio", ttl: 300, type: "SRV", data: "0 1 995 pop.example.net."),
        ])
        let standard = try Rig(knot)
        let expectedStandard = ["imap imap-backup.example.net:143", "imaps imap1.example.net:993", "pop3s pop.example.net:995"]
        #expect(try await standard.discovery.lookup(email: "a@prio.example.net").summary == expectedStandard)
        let byPriority = try Rig(knot, order: .priority)
        // Priority 0: imap and pop3s tie, IMAP wins the tie; then imaps at 10.
        let expectedByPriority = ["imap imap-backup.example.net:143", "pop3s pop.example.net:995", "imaps imap1.example.net:993"]
        #expect(try await byPriority.discovery.lookup(email: "a@prio.example.net").summary == expectedByPriority)
        await knot.stop()
    }
}
