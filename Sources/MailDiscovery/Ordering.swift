// CONTRACT (to be implemented by the ordering work; see DESIGN.md §1.3–§1.6).

/// How IMAP and POP3 endpoints are ordered against each other (setting `RetrievalOrder`).
public enum RetrievalOrder: String, Codable, Sendable, Hashable {
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
