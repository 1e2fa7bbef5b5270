/// NeoMutt 2022 (a file to `source` from `neomuttrc`): IMAP through `mailsrvctl connect`
/// (`tunnel`, set by an `account-hook` for IMAP connections only, since one `tunnel`
/// would otherwise carry SMTP too; and set from the start, since NeoMutt decides between
/// tunnel and socket for IMAP before it runs the hook), or with `--no-tunnel` to the best
/// IMAP server;
/// sending with `smtp_url` to the best submission server. Passwords through backticks.
enum NeomuttFormat {
    static func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        let imap = try account.best([.imap], for: .neomutt)
        let user = urlUser(settings.user)
        var lines = settings.header(.neomutt, account)
        if settings.tunnel {
            lines += ["# IMAP through mailsrvctl connect (pins, failover, certificate checks); the host in the",
                      "# folder URL only names the account.",
                      "set folder = \(doubleQuoted("imap://\(user)@\(account.domain)/"))",
                      "set tunnel = \(doubleQuoted(settings.connect(.imap)))",
                      "account-hook . \(doubleQuoted("unset tunnel"))",
                      "account-hook \(doubleQuoted("^imaps?://")) \(doubleQuoted("set tunnel=\(doubleQuoted(settings.connect(.imap)))"))"]
        } else {
            lines += settings.directComment(imap, of: account.count(like: imap))
            let scheme = imap.security == .implicitTLS ? "imaps" : "imap"
            lines.append("set folder = \(doubleQuoted("\(scheme)://\(user)@\(imap.host):\(imap.port)/"))")
        }
        lines += ["set spoolfile = \"+INBOX\"",
                  "set record = \"+Sent\"",
                  "set postponed = \"+Drafts\"",
                  "set from = \(doubleQuoted(settings.email))",
                  "set ssl_force_tls = yes",
                  "set ssl_starttls = yes"]
        if let smtp = account.outgoing.first {
            let scheme = smtp.security == .implicitTLS ? "smtps" : "smtp"
            lines += settings.directComment(smtp, of: account.count(like: smtp))
            lines.append("set smtp_url = \(doubleQuoted("\(scheme)://\(user)@\(smtp.host):\(smtp.port)/"))")
        } else {
            lines.append("# \(account.domain) offers no submission server: set smtp_url or sendmail yourself.")
        }
        for variable in ["imap_pass", "smtp_pass"] {
            let line = "set \(variable) = \(doubleQuoted("`\(settings.passwordCommand ?? "pass show mail")`"))"
            lines.append(settings.passwordCommand == nil ? settings.passwordPlaceholder(line) : line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
