import Testing
@testable import MailDiscovery

private func srv(_ target: String, priority: UInt16 = 0, weight: UInt16 = 0, port: UInt16 = 993) -> SRVRecord {
    SRVRecord(priority: priority, weight: weight, port: port, target: target)
}

@Suite struct OrderingTests {
    /// The records in the order to try them: the tiers, each shuffled by weight.
    private func ordered(_ answers: [MailService: [SRVRecord]], clientHost: String? = nil,
                         retrievalOrder: RetrievalOrder = .imapFirst,
                         using rng: inout SeededGenerator) -> [ServiceRecord] {
        WeightedShuffle.shuffled(tiers: SRVOrdering.tiers(answers, clientHost: clientHost, retrievalOrder: retrievalOrder),
                                 using: &rng) { $0.record.weight }
    }

    /// The ordered records as "service host:port".
    private func order(_ answers: [MailService: [SRVRecord]], clientHost: String? = nil,
                       retrievalOrder: RetrievalOrder = .imapFirst, seed: UInt64 = 1) -> [String] {
        var rng = SeededGenerator(seed: seed)
        return ordered(answers, clientHost: clientHost, retrievalOrder: retrievalOrder, using: &rng)
            .map { "\($0.service.rawValue) \($0.record.target):\($0.record.port)" }
    }

    // MARK: Groups and priorities

    @Test func imapComesBeforePOP3EvenWithAWorsePriority() {
        let result = order([
            .imap: [srv("imap.example.net", priority: 20, port: 143)],
            .pop3s: [srv("pop.example.net", priority: 0, port: 995)],
        ])
        #expect(result == ["imap imap.example.net:143", "pop3s pop.example.net:995"])
    }

    @Test func priorityOrderComparesIMAPAndPOP3ByPriority() {
        let answers: [MailService: [SRVRecord]] = [
            .imaps: [srv("imap.example.net", priority: 10)],
            .pop3s: [srv("pop.example.net", priority: 0, port: 995)],
        ]
        #expect(order(answers, retrievalOrder: .priority)
            == ["pop3s pop.example.net:995", "imaps imap.example.net:993"])
    }

    @Test func priorityOrderTieGoesToIMAP() {
        for seed in 0..<20 as Range<UInt64> {
            let result = order([
                .pop3s: [srv("pop.example.net", priority: 5, weight: 100, port: 995)],
                .imap: [srv("imap.example.net", priority: 5, weight: 0, port: 143)],
            ], retrievalOrder: .priority, seed: seed)
            #expect(result == ["imap imap.example.net:143", "pop3s pop.example.net:995"])
        }
    }

    @Test func priorityOrderIMAPTieBeatsSameSubdomain() {
        let result = order([
            .pop3s: [srv("pop.eng.example.net", priority: 5, port: 995)],
            .imaps: [srv("imap.example.org", priority: 5)],
        ], clientHost: "ws1.eng.example.net", retrievalOrder: .priority)
        #expect(result == ["imaps imap.example.org:993", "pop3s pop.eng.example.net:995"])
    }

    @Test func implicitTLSAndSTARTTLSAreMergedByPriority() {
        let result = order([
            .imaps: [srv("a.example.net", priority: 10), srv("b.example.net", priority: 30)],
            .imap: [srv("c.example.net", priority: 20, port: 143), srv("d.example.net", priority: 0, port: 143)],
        ])
        #expect(result == ["imap d.example.net:143", "imaps a.example.net:993",
                           "imap c.example.net:143", "imaps b.example.net:993"])
    }

    @Test func implicitTLSFirstOnEqualPriority() {
        for seed in 0..<20 as Range<UInt64> {
            let result = order([
                .imap: [srv("plain.example.net", priority: 1, weight: 1000, port: 143)],
                .imaps: [srv("tls.example.net", priority: 1, weight: 0)],
                .pop3: [srv("pop.example.net", priority: 1, weight: 1000, port: 110)],
                .pop3s: [srv("pops.example.net", priority: 1, weight: 0, port: 995)],
            ], seed: seed)
            #expect(result == ["imaps tls.example.net:993", "imap plain.example.net:143",
                               "pop3s pops.example.net:995", "pop3 pop.example.net:110"])
        }
    }

    @Test func submissionGroupMergesSubmissionsAndSubmission() {
        let result = order([
            .submission: [srv("smtp.example.net", priority: 0, port: 587)],
            .submissions: [srv("smtps.example.net", priority: 0, port: 465),
                           srv("backup.example.net", priority: 9, port: 465)],
        ])
        #expect(result == ["submissions smtps.example.net:465", "submission smtp.example.net:587",
                           "submissions backup.example.net:465"])
    }

    @Test func singleServiceIsOrderedByPriority() {
        let result = order([.pop3: [srv("b.example.net", priority: 2, port: 110),
                                    srv("a.example.net", priority: 1, port: 110)]])
        #expect(result == ["pop3 a.example.net:110", "pop3 b.example.net:110"])
    }

    // MARK: "." and duplicates

    @Test func notOfferedOnlyGivesNothing() {
        #expect(order([.imaps: [srv(".")]]).isEmpty)
        #expect(order([.imaps: [srv(".")], .imap: [srv(".", port: 0)]]).isEmpty)
        #expect(order([:]).isEmpty)
    }

    @Test func notOfferedAmongOthersIsDropped() {
        let result = order([
            .imaps: [srv("."), srv("imap.example.net", priority: 5)],
            .pop3s: [srv(".", port: 0)],
        ])
        #expect(result == ["imaps imap.example.net:993"])
    }

    @Test func duplicatesAppearOnceWithTheBestPriority() {
        let result = order([
            .imaps: [srv("imap.example.net", priority: 20), srv("other.example.net", priority: 10),
                     srv("imap.example.net", priority: 0)],
            .imap: [srv("imap.example.net", priority: 0)],
        ])
        #expect(result == ["imaps imap.example.net:993", "imap imap.example.net:993",
                           "imaps other.example.net:993"])
    }

    @Test func sameTargetOnAnotherPortIsNotADuplicate() {
        let result = order([.submission: [srv("mx.example.net", port: 587), srv("mx.example.net", port: 2525)]])
        #expect(result == ["submission mx.example.net:587", "submission mx.example.net:2525"])
    }

    // MARK: Same subdomain

    private let subdomainAnswers: [MailService: [SRVRecord]] = [
        .imaps: [srv("imap.example.org", weight: 1000), srv("imap.eng.example.net", weight: 0),
                 srv("eng.example.net.evil.test", weight: 1000)],
        .imap: [srv("plain.ENG.example.net", port: 143)],
    ]

    @Test func sameSubdomainFirstThenTLS() {
        for seed in 0..<20 as Range<UInt64> {
            let result = order(subdomainAnswers, clientHost: "WS1.Eng.Example.Net.", seed: seed)
            #expect(Array(result.prefix(2)) == ["imaps imap.eng.example.net:993", "imap plain.ENG.example.net:143"])
            #expect(Set(result.suffix(2)) == ["imaps imap.example.org:993", "imaps eng.example.net.evil.test:993"])
        }
    }

    @Test(arguments: [nil, "localhost", "ws1."] as [String?])
    func noSubdomainPreferenceWithoutADottedClientHost(clientHost: String?) {
        // Without a preference, TLS beats STARTTLS and the weight-0 subdomain target is mostly last.
        var lastCount = 0
        for seed in 0..<200 as Range<UInt64> {
            let result = order(subdomainAnswers, clientHost: clientHost, seed: seed)
            #expect(result.last == "imap plain.ENG.example.net:143")
            if result[2] == "imaps imap.eng.example.net:993" { lastCount += 1 }
        }
        #expect(lastCount > 150)
    }

    @Test func subdomainSuffix() {
        #expect(SRVOrdering.subdomainSuffix(of: "ws1.eng.example.net") == ".eng.example.net")
        #expect(SRVOrdering.subdomainSuffix(of: "WS1.Example.NET.") == ".example.net")
        #expect(SRVOrdering.subdomainSuffix(of: "ws1") == nil)
        #expect(SRVOrdering.subdomainSuffix(of: "ws1.") == nil)
        #expect(SRVOrdering.subdomainSuffix(of: nil) == nil)
    }

    @Test func parentDomainItselfIsNotInTheSubdomain() {
        // "ends with .eng.example.net": the name eng.example.net itself does not.
        for seed in 0..<20 as Range<UInt64> {
            let result = order([.imaps: [srv("eng.example.net", weight: 65_535), srv("m.eng.example.net")]],
                               clientHost: "ws1.eng.example.net", seed: seed)
            #expect(result.first == "imaps m.eng.example.net:993")
        }
    }

    // MARK: Submission ports

    @Test func submissionPort587FirstAnd25Last() {
        for seed in 0..<20 as Range<UInt64> {
            let result = order([
                .submission: [srv("a.example.net", weight: 1000, port: 25),
                              srv("b.example.net", weight: 1000, port: 2525),
                              srv("c.example.net", weight: 0, port: 587)],
            ], seed: seed)
            #expect(result == ["submission c.example.net:587", "submission b.example.net:2525",
                               "submission a.example.net:25"])
        }
    }

    @Test func submissionPortRuleComesAfterTLSAndSubdomain() {
        let result = order([
            .submission: [srv("a.example.org", port: 587), srv("b.eng.example.net", port: 25)],
            .submissions: [srv("c.example.org", port: 465)],
        ], clientHost: "ws.eng.example.net")
        #expect(result == ["submission b.eng.example.net:25", "submissions c.example.org:465",
                           "submission a.example.org:587"])
    }

    @Test func portRuleOnlyAppliesToSubmission() {
        var firsts: Set<String> = []
        for seed in 0..<100 as Range<UInt64> {
            let result = order([.imap: [srv("a.example.net", weight: 1, port: 25),
                                        srv("b.example.net", weight: 1, port: 587)]], seed: seed)
            firsts.insert(result[0])
        }
        #expect(firsts.count == 2)
    }

    // MARK: Weighted shuffle among ties

    @Test func weightsDecideAmongTiesThreeToOne() {
        var rng = SeededGenerator(seed: 2024)
        let answers: [MailService: [SRVRecord]] = [
            .imaps: [srv("heavy.example.net", priority: 1, weight: 3), srv("light.example.net", priority: 1, weight: 1),
                     srv("backup.example.net", priority: 2, weight: 65_535)],
        ]
        var heavyFirst = 0
        for _ in 0..<4_000 {
            let result = ordered(answers, using: &rng)
            #expect(result.last?.record.target == "backup.example.net")
            if result[0].record.target == "heavy.example.net" { heavyFirst += 1 }
        }
        let share = Double(heavyFirst) / 4_000
        #expect(abs(share - 0.75) <= 0.03, "heavy first \(share)")
    }

    @Test func sameSeedGivesTheSameOrder() {
        let answers: [MailService: [SRVRecord]] = [
            .imaps: (0..<6).map { srv("h\($0).example.net", priority: 1, weight: UInt16($0 * 10)) },
            .imap: (0..<6).map { srv("p\($0).example.net", priority: 1, weight: 5, port: 143) },
        ]
        #expect(order(answers, seed: 77) == order(answers, seed: 77))
        #expect(Set((0..<20).map { order(answers, seed: $0) }).count > 1)
    }
}
