/// msmtp 1.8 (`~/.msmtprc`, mode 0600): the best submission server, with its TLS mode.
/// msmtp has no command hook, so it always connects directly; `passwordeval` runs the
/// password command.
enum MsmtpFormat {
    static func render(_ account: AccountServers, _ settings: ClientSettings) throws(ClientConfigError) -> String {
        let server = try account.best([.smtp], for: .msmtp)
        let password = "passwordeval \(doubleQuoted(settings.passwordCommand ?? "pass show mail"))"
        let lines = settings.header(.msmtp, account) + settings.directComment(server, of: account.count(like: server)) + [
            "account \(settings.email)",
            "host \(server.host)",
            "port \(server.port)",
            "tls on",
            "tls_starttls \(server.security == .startTLS ? "on" : "off")",
            "auth on",
            "user \(doubleQuoted(settings.user))",
            "from \(doubleQuoted(settings.email))",
            settings.passwordCommand == nil ? settings.passwordPlaceholder(password) : password,
            "",
            "account default : \(settings.email)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
