/// isync/mbsync 1.4 (`~/.mbsyncrc`): one IMAP account synced into `~/Mail/EMAIL/`.
/// Through `mailsrvctl connect` (`Tunnel`, which does TLS: `SSLType None`, and LOGIN,
/// which mbsync 1.4 refuses on a plaintext channel unless named in `AuthMechs`), or with
/// `--no-tunnel` to the best IMAP server. mbsync 1.4 spells it `SSLType` (`TLSType` is
/// 1.5's).
enum MbsyncFormat {
    static func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        let server = try account.best([.imap], for: .mbsync)
        let name = settings.email
        var lines = settings.header(.mbsync, account)
        if settings.tunnel {
            lines += ["IMAPAccount \(name)",
                      "Tunnel \(doubleQuoted(settings.connect(.imap)))",
                      "SSLType None",
                      "AuthMechs LOGIN"]
        } else {
            lines += settings.directComment(server, of: account.count(like: server))
            lines += ["IMAPAccount \(name)",
                      "Host \(server.host)",
                      "Port \(server.port)",
                      "SSLType \(server.security == .implicitTLS ? "IMAPS" : "STARTTLS")"]
        }
        let password = "PassCmd \(doubleQuoted(settings.passwordCommand ?? "pass show mail"))"
        lines += ["User \(doubleQuoted(settings.user))",
                  settings.passwordCommand == nil ? settings.passwordPlaceholder(password) : password,
                  "",
                  "IMAPStore \(name)-remote",
                  "Account \(name)",
                  "",
                  "MaildirStore \(name)-local",
                  "Path ~/Mail/\(name)/",
                  "Inbox ~/Mail/\(name)/INBOX",
                  "SubFolders Verbatim",
                  "",
                  "Channel \(name)",
                  "Far :\(name)-remote:",
                  "Near :\(name)-local:",
                  "Patterns *",
                  "Create Near",
                  "SyncState *"]
        return lines.joined(separator: "\n") + "\n"
    }
}
