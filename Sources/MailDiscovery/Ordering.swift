/// How IMAP and POP3 endpoints are ordered against each other (setting `RetrievalOrder`).
public enum RetrievalOrder: String, Codable, Sendable, Hashable, CaseIterable {
    /// Every IMAP endpoint before any POP3 endpoint (draft-hall §4.1 and step h). Default.
    case imapFirst = "imap-first"
    /// RFC 6186 §3.4: IMAP and POP3 compared by SRV priority, IMAP winning ties.
    case priority
}

/// One usable SRV record and the service it was published for.
public struct ServiceRecord: Hashable, Sendable {
    public var service: MailService
    public var record: SRVRecord
    public init(service: MailService, record: SRVRecord) {
        self.service = service
        self.record = record
    }
}

/// Orders the SRV records of a Lookup (DESIGN.md §1.3–§1.5).
public enum SRVOrdering {
    /// Returns the usable records of `answers` in tiers of equal rank, best tier first. The
    /// order to try them in is each tier shuffled by weight (``WeightedShuffle/shuffled(tiers:using:weight:)``),
    /// drawn anew on every lookup while the tiers are kept as long as the answers are fresh.
    ///
    /// - "." records (`isNotOffered`) are dropped; duplicates (same service, target and port)
    ///   appear once, keeping the one with the lowest priority.
    /// - Groups: IMAP (`imaps`, `imap`), then POP3, then submission. With
    ///   `retrievalOrder == .priority`, IMAP and POP3 form one group.
    /// - Within a group: ascending SRV priority; on equal priority, in this order: IMAP before
    ///   POP3, targets in the client host's subdomain first, implicit TLS before STARTTLS,
    ///   `submission` on port 587 first and port 25 last; records equal in all of these form
    ///   one tier, for the RFC 2782 weighted shuffle.
    ///
    /// `clientHost` is this host's name, e.g. `ws1.eng.example.net`: targets ending in
    /// `.eng.example.net` are preferred. nil, or a name without a dot, prefers nothing.
    public static func tiers(
        _ answers: [MailService: [SRVRecord]],
        clientHost: String?,
        retrievalOrder: RetrievalOrder
    ) -> [[ServiceRecord]] {
        let suffix = subdomainSuffix(of: clientHost)
        let ranked = usableRecords(answers)
            .map { (rank: rank(of: $0, subdomainSuffix: suffix, retrievalOrder: retrievalOrder), item: $0) }
            .sorted { $0.rank < $1.rank }
        var tiers: [[ServiceRecord]] = []
        var start = 0
        while start < ranked.count {
            let end = ranked[start...].firstIndex { $0.rank != ranked[start].rank } ?? ranked.count
            tiers.append(ranked[start..<end].map(\.item))
            start = end
        }
        return tiers
    }

    /// The records other than ".", without duplicates, in a fixed order (services in
    /// `MailService.allCases` order, records in answer order) so that a seeded generator
    /// gives a reproducible result.
    private static func usableRecords(_ answers: [MailService: [SRVRecord]]) -> [ServiceRecord] {
        struct Key: Hashable { var service: MailService, target: String, port: UInt16 }
        var result: [ServiceRecord] = []
        var indexOfKey: [Key: Int] = [:]
        for service in MailService.allCases {
            for record in answers[service] ?? [] where !record.isNotOffered {
                let key = Key(service: service, target: record.target.lowercased(), port: record.port)
                if let index = indexOfKey[key] {
                    if record.priority < result[index].record.priority { result[index].record = record }
                } else {
                    indexOfKey[key] = result.count
                    result.append(ServiceRecord(service: service, record: record))
                }
            }
        }
        return result
    }

    /// Sort key, compared field by field in declaration order; records with equal keys are
    /// shuffled by weight.
    private struct Rank: Comparable {
        var group: Int
        var priority: UInt16
        var family: Int
        var outsideSubdomain: Bool
        var startTLS: Bool
        var submissionPort: Int

        static func < (lhs: Rank, rhs: Rank) -> Bool {
            (lhs.group, lhs.priority, lhs.family, lhs.outsideSubdomain ? 1 : 0, lhs.startTLS ? 1 : 0, lhs.submissionPort)
                < (rhs.group, rhs.priority, rhs.family, rhs.outsideSubdomain ? 1 : 0, rhs.startTLS ? 1 : 0, rhs.submissionPort)
        }
    }

    private static func rank(
        of item: ServiceRecord, subdomainSuffix: String?, retrievalOrder: RetrievalOrder
    ) -> Rank {
        let service = item.service
        return Rank(
            group: group(of: service.family, retrievalOrder),
            priority: item.record.priority,
            family: familyRank(service.family),
            outsideSubdomain: !isInSubdomain(item.record.target, suffix: subdomainSuffix),
            startTLS: service.tls != .implicit,
            submissionPort: submissionPortRank(item))
    }

    /// Which group a family is in: with `.priority`, IMAP and POP3 share one.
    private static func group(of family: MailService.Family, _ retrievalOrder: RetrievalOrder) -> Int {
        switch (family, retrievalOrder) {
        case (.imap, _), (.pop3, .priority): 0
        case (.pop3, .imapFirst): 1
        case (.submission, _): 2
        }
    }

    private static func familyRank(_ family: MailService.Family) -> Int {
        switch family {
        case .imap: 0
        case .pop3: 1
        case .submission: 2
        }
    }

    /// Among `submission` records: port 587 first, port 25 last (draft-hall §4.2 d.4).
    private static func submissionPortRank(_ item: ServiceRecord) -> Int {
        guard item.service == .submission else { return 0 }
        switch item.record.port {
        case 587: return 0
        case 25: return 2
        default: return 1
        }
    }

    /// `".eng.example.net"` for `ws1.eng.example.net` (one trailing dot ignored); nil when the
    /// name has no dot.
    static func subdomainSuffix(of clientHost: String?) -> String? {
        guard var host = clientHost?.lowercased() else { return nil }
        if host.hasSuffix(".") { host.removeLast() }
        guard let dot = host.firstIndex(of: "."), host.index(after: dot) < host.endIndex else { return nil }
        return String(host[dot...])
    }

    private static func isInSubdomain(_ target: String, suffix: String?) -> Bool {
        guard let suffix else { return false }
        return target.lowercased().hasSuffix(suffix)
    }
}
