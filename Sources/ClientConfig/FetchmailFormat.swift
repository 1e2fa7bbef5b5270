/// fetchmail 6.4 (`~/.fetchmailrc`, mode 0600): IMAP if the domain has it, else POP3,
/// through `mailsrvctl connect` (`plugin`; the tunnel does TLS, so `sslproto ''` keeps
/// fetchmail 6.4 from insisting on STARTTLS over it), or with `--no-tunnel`
/// to the best server (`ssl` for implicit TLS, `sslproto TLS1.2+` for STARTTLS, both
/// with `sslcertck`). fetchmail has no password command: no password line, so it reads
/// `~/.netrc` or asks. fetchmail's strings take no backslash escapes: the hook is written
/// with shell quoting only (single quotes), the login as is.
enum FetchmailFormat {
    static func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        let server = try account.best([.imap, .pop3], for: .fetchmail)
        let proto = server.kind == .imap ? "IMAP" : "POP3"
        var lines = settings.header(.fetchmail, account)
        if settings.tunnel {
            // `no dns`: the poll name only names the account (and ~/.netrc's machine); without
            // it fetchmail looks the mail domain up as a host, which it need not be.
            lines += ["poll \(account.domain) no dns with proto \(proto)",
                      "    plugin \"\(settings.connect(server.kind))\""]
        } else {
            lines += settings.directComment(server, of: account.count(like: server))
            lines += ["poll \(server.host) with proto \(proto) port \(server.port)"]
        }
        lines.append("    user \"\(settings.user)\" there")
        if settings.tunnel {
            // The tunnel did TLS (and checked the certificate): no STARTTLS over it.
            lines.append("    sslproto ''")
        } else {
            lines.append(server.security == .implicitTLS ? "    ssl sslcertck" : "    sslproto TLS1.2+ sslcertck")
        }
        lines.append("# No password here: fetchmail reads ~/.netrc (machine \(settings.tunnel ? account.domain : server.host)) or asks.")
        return lines.joined(separator: "\n") + "\n"
    }
}
