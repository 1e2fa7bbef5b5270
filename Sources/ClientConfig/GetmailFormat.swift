/// getmail6 6.18 (a file in `~/.config/getmail/`): getmail has no command hook, and no
/// STARTTLS at all, so it connects to the best implicit-TLS server (`SimpleIMAPSSLRetriever`
/// before `SimplePOP3SSLRetriever`, in discovery order) and delivers into `~/Maildir/`.
/// A domain with STARTTLS servers only gets no configuration: never a plaintext login. `password_command` runs the password command through `/bin/sh` (a Python tuple; a
/// double-quoted Python string escapes like msmtp's).
enum GetmailFormat {
    static func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        let server = try account.best([.imap, .pop3], for: .getmail, implicitTLSOnly: true)
        let kind = server.kind == .imap ? "IMAP" : "POP3"
        var lines = settings.header(.getmail, account) + settings.directComment(server, of: account.count(like: server))
        lines += ["[retriever]",
                  "type = Simple\(kind)SSLRetriever",
                  "server = \(server.host)",
                  "port = \(server.port)",
                  "username = \(settings.user)"]
        if server.kind == .imap { lines.append("mailboxes = (\"INBOX\",)") }
        let password = "password_command = (\"/bin/sh\", \"-c\", \(doubleQuoted(settings.passwordCommand ?? "pass show mail")))"
        lines.append(settings.passwordCommand == nil ? settings.passwordPlaceholder(password) : password)
        lines += ["", "[destination]", "type = Maildir", "path = ~/Maildir/", "",
                  "[options]", "read_all = false", "delete = false"]
        return lines.joined(separator: "\n") + "\n"
    }

}
