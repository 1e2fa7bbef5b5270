/// aerc 0.14 (a section of `~/.config/aerc/accounts.conf`, mode 0600): aerc has no
/// command hook, so it connects to the best IMAP and submission servers (`imaps://`,
/// or `imap://` for STARTTLS; `smtps://`, or `smtp://` for STARTTLS);
/// `source-cred-cmd` and `outgoing-cred-cmd` run the password command.
enum AercFormat {
    static func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        let imap = try account.best([.imap], for: .aerc)
        let user = urlUser(settings.user)
        let smtp = account.outgoing.first
        var lines = settings.header(.aerc, account) + settings.directComment(imap, of: account.count(like: imap))
        if let smtp { lines += settings.directComment(smtp, of: account.count(like: smtp)) }
        lines += ["[\(settings.email)]",
                  "source = \(imap.security == .implicitTLS ? "imaps" : "imap")://\(user)@\(imap.host):\(imap.port)",
                  credentials("source-cred-cmd", settings)]
        if let smtp {
            lines += ["outgoing = \(smtp.security == .implicitTLS ? "smtps" : "smtp")://\(user)@\(smtp.host):\(smtp.port)",
                      credentials("outgoing-cred-cmd", settings)]
        }
        lines += ["default = INBOX", "from = \(settings.email)", "copy-to = Sent"]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func credentials(_ key: String, _ settings: ClientSettings) -> String {
        let line = "\(key) = \(settings.passwordCommand ?? "pass show mail")"
        return settings.passwordCommand == nil ? settings.passwordPlaceholder(line) : line
    }
}
