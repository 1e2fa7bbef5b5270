/// A mail access or submission service that has an SRV name (RFC 6186, RFC 8314).
public enum MailService: String, Codable, Sendable, Hashable, CaseIterable {
    case imaps, imap, pop3s, pop3, submissions, submission

    /// How TLS is started on a connection to this service.
    public enum TLSMode: String, Codable, Sendable, Hashable {
        /// TLS from the first byte (RFC 8314).
        case implicit
        /// Plain text, upgraded with STARTTLS.
        case starttls
    }

    public var tls: TLSMode {
        switch self {
        case .imaps, .pop3s, .submissions: .implicit
        case .imap, .pop3, .submission: .starttls
        }
    }

    /// The protocol family used for ordering: IMAP before POP3; submission on its own.
    public enum Family: Sendable, Hashable { case imap, pop3, submission }

    public var family: Family {
        switch self {
        case .imaps, .imap: .imap
        case .pop3s, .pop3: .pop3
        case .submissions, .submission: .submission
        }
    }

    /// The SRV owner name of this service at `domain`, e.g. `_imaps._tcp.example.net`.
    public func srvName(at domain: String) -> String { "_\(rawValue)._tcp.\(domain)" }
}

/// What a client asks for: a group of services or one service (DESIGN.md §1.2).
public enum Want: Hashable, Sendable {
    /// IMAP and POP3, implicit TLS and STARTTLS.
    case retrieval
    /// `submissions` and `submission`.
    case submission
    /// `imaps` and `imap`: one protocol, either TLS mode (a tunnel for IMAP, CLIENTS.md §1).
    case imapGroup
    /// `pop3s` and `pop3`.
    case pop3Group
    /// One service only.
    case single(MailService)

    /// Parses the protocol's `want` string; nil for anything unknown.
    /// `"submission"` always means the group.
    public init?(_ text: String) {
        switch text {
        case "retrieval": self = .retrieval
        case "submission": self = .submission
        case "imap-group": self = .imapGroup
        case "pop3-group": self = .pop3Group
        default:
            guard let service = MailService(rawValue: text), service != .submission else { return nil }
            self = .single(service)
        }
    }

    /// The protocol's spelling.
    public var name: String {
        switch self {
        case .retrieval: "retrieval"
        case .submission: "submission"
        case .imapGroup: "imap-group"
        case .pop3Group: "pop3-group"
        case .single(let service): service.rawValue
        }
    }

    /// The services whose SRV names are queried, all in parallel.
    public var services: [MailService] {
        switch self {
        case .retrieval: [.imaps, .imap, .pop3s, .pop3]
        case .submission: [.submissions, .submission]
        case .imapGroup: [.imaps, .imap]
        case .pop3Group: [.pop3s, .pop3]
        case .single(let service): [service]
        }
    }
}
