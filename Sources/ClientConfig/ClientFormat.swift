/// The clients `mailsrvctl config --format` writes for (CLIENTS.md §3), each in the
/// syntax of the version Debian 12 ships.
public enum ClientFormat: String, CaseIterable, Sendable {
    case msmtp, mbsync, neomutt, aerc, fetchmail, getmail, thunderbird

    /// The configuration of one account for this client.
    /// - Throws: ``ClientConfigError`` when the client cannot use what the domain offers
    ///   (mbsync, neomutt and aerc speak IMAP, not POP3; msmtp needs submission).
    public func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        switch self {
        case .msmtp: try MsmtpFormat.render(account, settings)
        case .mbsync: try MbsyncFormat.render(account, settings)
        case .neomutt: try NeomuttFormat.render(account, settings)
        case .aerc: try AercFormat.render(account, settings)
        case .fetchmail: try FetchmailFormat.render(account, settings)
        case .getmail: try GetmailFormat.render(account, settings)
        case .thunderbird: AutoconfigDocument.xml(account)
        }
    }
}

/// Why a client's configuration cannot be written for a domain.
public struct ClientConfigError: Error, Equatable, CustomStringConvertible {
    public var domain: String
    public var format: ClientFormat
    /// What the client needs and the domain does not offer: "IMAP", "IMAP or POP3", "submission".
    public var needs: String

    public var description: String {
        "\(domain) offers no \(needs) server, and \(format.rawValue) needs one"
    }
}

extension AccountServers {
    /// The best server of one of `kinds` (discovery order), or the error naming what `format` needs.
    func best(_ kinds: [MailServer.Kind], for format: ClientFormat,
              implicitTLSOnly: Bool = false) throws(ClientConfigError) -> MailServer {
        let servers = kinds.contains(.smtp) ? outgoing : incoming
        guard let server = servers.first(where: { kinds.contains($0.kind) && (!implicitTLSOnly || $0.security == .implicitTLS) }) else {
            let needs = (implicitTLSOnly ? "implicit-TLS " : "")
                + kinds.map { $0 == .smtp ? "submission" : $0.rawValue.uppercased() }.joined(separator: " or ")
            throw ClientConfigError(domain: domain, format: format, needs: needs)
        }
        return server
    }

    /// How many candidates of the same protocol as `server` there are.
    func count(like server: MailServer) -> Int {
        (server.kind == .smtp ? outgoing : incoming).filter { $0.kind == server.kind }.count
    }
}

/// `text` with `@` and other reserved characters percent-encoded, for the user part of
/// a URL (neomutt, aerc).
func urlUser(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        let scalar = Unicode.Scalar(byte)
        if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
            result.unicodeScalars.append(scalar)
        } else {
            let hex = Array("0123456789ABCDEF")
            result += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
        }
    }
    return result
}
