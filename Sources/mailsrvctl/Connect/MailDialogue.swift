/// The mail protocol of a service and what the tunnel says in it before TLS: read the
/// greeting, ask for STARTTLS (IMAP `STARTTLS`, POP3 `STLS`, SMTP `EHLO` then `STARTTLS`),
/// accept only a positive answer. Nothing of the client's is ever sent in plaintext.
enum MailProtocol: String {
    case imap, pop3, smtp

    init?(service: String) {
        switch service {
        case "imaps", "imap": self = .imap
        case "pop3s", "pop3": self = .pop3
        case "submissions", "submission": self = .smtp
        default: return nil
        }
    }

    /// One exchange: a command (nil: none, the server speaks first) and the check of the reply.
    struct Exchange {
        var command: String?
        /// nil: acceptable; else why not.
        var check: ([String]) -> String?
    }

    /// The exchanges that lead to the TLS handshake of a STARTTLS service.
    func startTLS(clientName: String) -> [Exchange] {
        switch self {
        case .imap:
            [Exchange(command: nil, check: { imapGreeting($0, preauthAllowed: false) }),
             Exchange(command: "A1 STARTTLS\r\n",
                      check: { $0.last?.hasPrefix("A1 OK") == true ? nil : "refused STARTTLS: \(quoted($0.last))" })]
        case .pop3:
            [Exchange(command: nil, check: { pop3Greeting($0) }),
             Exchange(command: "STLS\r\n",
                      check: { $0.last?.hasPrefix("+OK") == true ? nil : "refused STLS: \(quoted($0.last))" })]
        case .smtp:
            [Exchange(command: nil, check: { smtpGreeting($0) }),
             Exchange(command: "EHLO \(clientName)\r\n", check: { lines in
                 guard lines.last?.hasPrefix("250") == true else { return "refused EHLO: \(quoted(lines.last))" }
                 let offered = lines.contains { $0.count >= 4 && $0.dropFirst(4).uppercased().hasPrefix("STARTTLS") }
                 return offered ? nil : "does not offer STARTTLS"
             }),
             Exchange(command: "STARTTLS\r\n",
                      check: { $0.last?.hasPrefix("220") == true ? nil : "refused STARTTLS: \(quoted($0.last))" })]
        }
    }

    /// The check of the greeting that arrives over implicit TLS.
    var implicitGreeting: ([String]) -> String? {
        switch self {
        case .imap: { imapGreeting($0, preauthAllowed: true) }
        case .pop3: pop3Greeting
        case .smtp: smtpGreeting
        }
    }

    /// Whether `lines` are a whole reply: one line, or for SMTP up to the line `NNN text`
    /// (`NNN-text` continues); for IMAP's STARTTLS, up to the tagged line.
    func replyComplete(_ lines: [String], tagged: Bool) -> Bool {
        guard let last = lines.last else { return false }
        switch self {
        case .imap: return !tagged || !last.hasPrefix("* ")
        case .pop3: return true
        case .smtp:
            let bytes = Array(last.utf8)
            return bytes.count < 4 || bytes[3] != UInt8(ascii: "-")
        }
    }

    /// The greeting the tunnel gives the client after STARTTLS: the protocol's positive
    /// greeting without capabilities, so the client asks for them again, over TLS.
    func synthesizedGreeting(host: String) -> String {
        switch self {
        case .imap: "* OK TLS to \(host) made by mailsrvctl connect\r\n"
        case .pop3: "+OK TLS to \(host) made by mailsrvctl connect\r\n"
        case .smtp: "220 \(host) ESMTP (TLS made by mailsrvctl connect)\r\n"
        }
    }
}

private func imapGreeting(_ lines: [String], preauthAllowed: Bool) -> String? {
    guard let line = lines.first else { return "no greeting" }
    if line.hasPrefix("* OK") || (preauthAllowed && line.hasPrefix("* PREAUTH")) { return nil }
    return "unexpected greeting \(quoted(line))"
}

private func pop3Greeting(_ lines: [String]) -> String? {
    lines.first?.hasPrefix("+OK") == true ? nil : "unexpected greeting \(quoted(lines.first))"
}

private func smtpGreeting(_ lines: [String]) -> String? {
    lines.last?.hasPrefix("220") == true ? nil : "unexpected greeting \(quoted(lines.last))"
}

/// A server's line for a message: printable ASCII only, at most 60 characters, quoted.
func quoted(_ line: String?) -> String {
    guard let line else { return "(none)" }
    let printable = line.unicodeScalars.prefix(60).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? Character($0) : "?" }
    return "\"\(String(printable))\(line.unicodeScalars.count > 60 ? "…" : "")\""
}
