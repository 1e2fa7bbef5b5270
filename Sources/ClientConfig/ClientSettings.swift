/// What a client's configuration is made of besides the servers (`mailsrvctl config`).
public struct ClientSettings: Sendable {
    /// The account's address, as given.
    public var email: String
    /// The login name (`--user`; the whole address by default).
    public var user: String
    /// A shell command that prints the password (`--password-command`); nil: a commented
    /// placeholder, so the client asks or reads its own store.
    public var passwordCommand: String?
    /// True: where the client has a command hook, it runs `mailsrvctl connect` (pins,
    /// failover, RFC 7817 checks); false (`--no-tunnel`): it connects to the best server.
    public var tunnel: Bool
    /// The command that runs mailsrvctl in hooks (`mailsrvctl`, or a path).
    public var mailsrvctl: String
    /// The daemon's socket for hooks (`--socket`); nil: mailsrvctl's default.
    public var socket: String?
    /// Names a certificate may present for retrieval and submission (the Lookups'
    /// `verifyNames`), for the comments of direct connections.
    public var retrievalNames: [String]
    public var submissionNames: [String]

    public init(email: String, user: String? = nil, passwordCommand: String? = nil, tunnel: Bool = true,
                mailsrvctl: String = "mailsrvctl", socket: String? = nil, retrievalNames: [String] = [], submissionNames: [String] = []) {
        self.email = email
        self.user = user ?? email
        self.passwordCommand = passwordCommand
        self.tunnel = tunnel
        self.mailsrvctl = mailsrvctl
        self.socket = socket
        self.retrievalNames = retrievalNames
        self.submissionNames = submissionNames
    }

    /// The hook command: `mailsrvctl connect EMAIL --protocol P [--socket S]`, shell-quoted.
    func connect(_ kind: MailServer.Kind) -> String {
        let protocolName = kind == .smtp ? "submission" : kind.rawValue
        let words = [mailsrvctl, "connect", email, "--protocol", protocolName] + (socket.map { ["--socket", $0] } ?? [])
        return words.map(shellQuoted).joined(separator: " ")
    }

    /// The first lines of every fragment (comments start with `#` in every format but
    /// Thunderbird's XML).
    func header(_ format: ClientFormat, _ account: AccountServers) -> [String] {
        ["# \(format.rawValue) configuration for \(email), from the DNS SRV records of \(account.domain)",
         "# (mailsrvctl config \(email) --format \(format.rawValue)\(tunnel ? "" : " --no-tunnel")).",
         "# Passwords are never written here."]
    }

    /// Comment lines about a direct connection to `server`: what it is, and which names the
    /// client must find in its certificate.
    func directComment(_ server: MailServer, of candidates: Int) -> [String] {
        let names = server.kind == .smtp ? submissionNames : retrievalNames
        var lines = ["# \(server.kind.rawValue): \(server.host):\(server.port), "
                     + (server.security == .implicitTLS ? "implicit TLS" : "STARTTLS")
                     + " (the best of \(candidates) candidate(s) now; no failover without mailsrvctl connect)."]
        if !names.isEmpty && !names.contains(server.host) {
            lines.append("# The client checks the certificate for \(server.host); mailsrvd's tunnel would accept only "
                         + names.joined(separator: ", ") + " (that SRV answer was not DNSSEC-secure; see mailsrvctl trust).")
        }
        return lines
    }

    /// A commented line telling where the password command goes.
    func passwordPlaceholder(_ line: String) -> String {
        "# \(line)    # PLACEHOLDER: a command that prints the password (--password-command)"
    }
}

/// `text` quoted for `sh`: as is when it holds only safe characters, else in single quotes.
public func shellQuoted(_ text: String) -> String {
    let safe = text.unicodeScalars.allSatisfy { scalar in
        scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || "@%+=:,./_-".unicodeScalars.contains(scalar)
    }
    if safe && !text.isEmpty { return text }
    return "'" + text.replacing("'", with: #"'\''"#) + "'"
}

/// A string in double quotes with `\` and `"` escaped: the quoting of msmtp, mbsync and
/// neomutt alike.
func doubleQuoted(_ text: String) -> String {
    "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
}
