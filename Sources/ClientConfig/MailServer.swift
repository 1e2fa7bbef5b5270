/// One server a mail client is told to use: what `mailsrvctl config` and the autoconfig
/// endpoint write, from one endpoint of a Lookup.
public struct MailServer: Hashable, Sendable {
    /// The protocol the client speaks to it.
    public enum Kind: String, Hashable, Sendable {
        case imap, pop3, smtp
    }

    /// How TLS is started.
    public enum Security: Hashable, Sendable {
        /// TLS from the first byte (`imaps`, `pop3s`, `submissions`).
        case implicitTLS
        /// Plain text upgraded with STARTTLS (`imap`, `pop3`, `submission`).
        case startTLS
    }

    public var kind: Kind
    public var security: Security
    /// The SRV target (A-label form), which is also the name to connect to.
    public var host: String
    public var port: Int

    public init(kind: Kind, security: Security, host: String, port: Int) {
        self.kind = kind
        self.security = security
        self.host = host
        self.port = port
    }

    /// The server of an endpoint of PROTOCOL.md's `service` (`imaps`, `pop3`,
    /// `submission`, …); nil for a name that is none of the six.
    public init?(service: String, host: String, port: Int) {
        switch service {
        case "imaps": self.init(kind: .imap, security: .implicitTLS, host: host, port: port)
        case "imap": self.init(kind: .imap, security: .startTLS, host: host, port: port)
        case "pop3s": self.init(kind: .pop3, security: .implicitTLS, host: host, port: port)
        case "pop3": self.init(kind: .pop3, security: .startTLS, host: host, port: port)
        case "submissions": self.init(kind: .smtp, security: .implicitTLS, host: host, port: port)
        case "submission": self.init(kind: .smtp, security: .startTLS, host: host, port: port)
        default: return nil
        }
    }
}

/// Everything one account of a mail domain is set up with: retrieval and submission
/// servers, each list best first (discovery order).
public struct AccountServers: Hashable, Sendable {
    /// The mail domain, A-label form.
    public var domain: String
    /// IMAP and POP3 servers, best first.
    public var incoming: [MailServer]
    /// Submission servers, best first.
    public var outgoing: [MailServer]

    public init(domain: String, incoming: [MailServer], outgoing: [MailServer]) {
        self.domain = domain
        self.incoming = incoming
        self.outgoing = outgoing
    }
}
