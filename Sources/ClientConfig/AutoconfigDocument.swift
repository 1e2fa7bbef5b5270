/// Mozilla's clientConfig v1.1 document (the format Thunderbird reads from
/// `mailnews.auto_config_url` and from `autoconfig.DOMAIN`): one `incomingServer` per
/// retrieval server and one `outgoingServer` per submission server, in the given order
/// (Thunderbird offers the first of each type), `username` `%EMAILADDRESS%`,
/// `authentication` `password-cleartext`. Every value is escaped (``xmlEscaped(_:)``).
/// Served by the daemon's autoconfig endpoint and printed by `mailsrvctl config
/// --format thunderbird`: one writer for both.
public enum AutoconfigDocument {
    public static func xml(_ account: AccountServers) -> String {
        let domain = xmlEscaped(account.domain)
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<clientConfig version="1.1">"#,
            #"  <emailProvider id="\#(domain)">"#,
            "    <domain>\(domain)</domain>",
            "    <displayName>\(domain)</displayName>",
            "    <displayShortName>\(domain)</displayShortName>",
        ]
        for server in account.incoming {
            lines += element("incomingServer", server)
        }
        for server in account.outgoing {
            lines += element("outgoingServer", server)
        }
        lines += ["  </emailProvider>", "</clientConfig>"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `SSL` for implicit TLS, `STARTTLS` otherwise (the spellings of the format).
    public static func socketType(_ security: MailServer.Security) -> String {
        switch security {
        case .implicitTLS: "SSL"
        case .startTLS: "STARTTLS"
        }
    }

    private static func element(_ name: String, _ server: MailServer) -> [String] {
        [
            #"    <\#(name) type="\#(server.kind.rawValue)">"#,
            "      <hostname>\(xmlEscaped(server.host))</hostname>",
            "      <port>\(server.port)</port>",
            "      <socketType>\(socketType(server.security))</socketType>",
            "      <username>%EMAILADDRESS%</username>",
            "      <authentication>password-cleartext</authentication>",
            "    </\(name)>",
        ]
    }
}
