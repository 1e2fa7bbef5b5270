import Foundation
import KnotHarness
import MailHarness
import Testing
import TestSupport

/// `mailsrvctl config` (CLIENTS.md §3): each fragment as Debian 12's own client takes it,
/// against real servers (Dovecot, aiosmtpd) found through the real daemon and Knot.
///
/// The clients resolve host names and check certificates themselves, so each runs in a
/// private mount namespace where /etc/hosts names the test servers and the system trust
/// store (/etc/ssl/certs/ca-certificates.crt) is the test CA: the generated files are used
/// as they are. Needs root (Dovecot and the namespace); skipped otherwise.
@Suite(.enabled(if: getuid() == 0, "needs root: Dovecot, mount namespace"), .timeLimit(.minutes(3)))
struct ClientConfigTests {
    /// A domain `LABEL.example.net` with implicit-TLS IMAP on `imap.LABEL…` (Dovecot) and
    /// submissions on `smtp.LABEL…`, and a home directory. The submission server (aiosmtpd,
    /// AUTH alice/secret) runs only for a test that sends: for the others the record names a
    /// free port, which they print but never connect to.
    final class Account: @unchecked Sendable {
        let world: TunnelWorld
        let dovecot: DovecotServer
        /// nil unless made `sending`.
        let submission: SubmissionServer?
        let submissionsPort: UInt16
        let home: String
        let hosts: String
        var email: String { "alice@\(world.domain)" }

        /// Runs `body` with a new account and ends all it started when `body` ends, returned or thrown.
        static func with(label: String, imapAddress: String, smtpAddress: String, sending: Bool = false,
                         _ body: (Account) async throws -> Void) async throws {
            try await TunnelWorld.with(label: label) { world in
                try await body(Account(world: world, imapAddress: imapAddress, smtpAddress: smtpAddress, sending: sending))
            }
        }

        private init(world: TunnelWorld, imapAddress: String, smtpAddress: String, sending: Bool) async throws {
            self.world = world
            let imapHost = "imap.\(world.domain)", smtpHost = "smtp.\(world.domain)"
            // The host for the clients that connect directly, the mail domain for the tunnel
            // (the zone is unsigned: RFC 7817 lets it accept the domain only).
            dovecot = try await world.dovecot(imapAddress, greeting: "cfg-imap", names: [imapHost, world.domain])
            submission = sending ? try await world.submission(smtpAddress, name: "cfg-smtp", names: [smtpHost, world.domain]) : nil
            submissionsPort = try submission?.submissionsPort ?? FreePort.pick(address: smtpAddress)
            try await world.publish([.init(service: "imaps", port: dovecot.imapsPort!, host: "imap"),
                                     .init(service: "pop3s", port: dovecot.pop3sPort!, host: "imap"),
                                     .init(service: "submissions", port: submissionsPort, host: "smtp")],
                                    hosts: ["imap": [imapAddress], "smtp": [smtpAddress]])
            home = world.directory + "/home"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            hosts = world.directory + "/hosts"
            try "127.0.0.1 localhost\n\(imapAddress) \(imapHost)\n\(smtpAddress) \(smtpHost)\n"
                .write(toFile: hosts, atomically: true, encoding: .utf8)
        }

        /// `mailsrvctl config EMAIL --format F ARGS… --socket S`, which must succeed; its output.
        func config(_ format: String, _ arguments: [String] = []) async throws -> String {
            let result = try await ChildProcess.run(TunnelWorld.mailsrvctl, ["config", email, "--format", format]
                                                    + arguments + ["--socket", world.daemon.socket])
            #expect(result.status == 0, "mailsrvctl config --format \(format): \(result.stderr)")
            return result.stdout
        }

        /// Writes `text` to `name` in the home directory (mode 0600) and returns its path.
        func file(_ name: String, _ text: String) throws -> String {
            let path = "\(home)/\(name)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
            return path
        }

        /// Runs a client with HOME set, in a mount namespace whose /etc/hosts and system
        /// trust store are the test's.
        func run(_ program: String, _ arguments: [String], input: String? = nil) async throws -> ChildProcess.Finished {
            let script = #"mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/ssl/certs/ca-certificates.crt && shift 2 && exec "$@""#
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = home
            return try await ChildProcess.run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c",
                                                                   script, "sh", hosts, world.ca.certificateFile, program]
                                              + arguments, input: input.map { Data($0.utf8) }, environment: environment,
                                              timeout: .seconds(90))
        }
    }

    @Test func msmtpSendsThroughTheSubmissionServerWithAuth() async throws {
        try await Account.with(label: "cfgmsmtp", imapAddress: "127.0.0.171", smtpAddress: "127.0.0.172",
                               sending: true) { account in
            let text = try await account.config("msmtp", ["--user", "alice", "--password-command", "echo secret"])
            #expect(text.contains("host smtp.cfgmsmtp.example.net") && text.contains("tls_starttls off"), "\(text)")
            #expect(!text.contains("secret\n") && text.contains(#"passwordeval "echo secret""#))
            let rc = try account.file(".msmtprc", text)
            let message = "From: \(account.email)\nTo: bob@example.org\nSubject: from msmtp\n\nhello through mailsrvd\n"
            let sent = try await account.run("/usr/bin/msmtp", ["-C", rc, "-t"], input: message)
            #expect(sent.status == 0, "msmtp: \(sent.stdout) \(sent.stderr)")
            let received = try #require(account.submission).received()
            #expect(received.count == 1)
            #expect(received.first?.user == "alice")
            #expect(received.first?.tls == true)
            #expect(received.first?.to == ["bob@example.org"])
            #expect(received.first?.data.contains("hello through mailsrvd") == true)
        }
    }

    /// mbsync 1.4 with the generated file, through `mailsrvctl connect` and directly.
    @Test(arguments: [true, false])
    func mbsyncSyncsTheInbox(tunnel: Bool) async throws {
        let label = tunnel ? "cfgmbt" : "cfgmbd"
        try await Account.with(label: label, imapAddress: tunnel ? "127.0.0.173" : "127.0.0.175",
                               smtpAddress: tunnel ? "127.0.0.174" : "127.0.0.176") { account in
            try account.dovecot.deliver(to: "alice", message: "Subject: for mbsync\n\nsynced \(label)\n")
            let text = try await account.config("mbsync", ["--user", "alice", "--password-command", "echo secret"]
                                                + (tunnel ? [] : ["--no-tunnel"]))
            #expect(text.contains("Tunnel ") == tunnel, "\(text)")
            #expect(text.contains("SSLType \(tunnel ? "None" : "IMAPS")"))
            let rc = try account.file(".mbsyncrc", text)
            let maildir = "\(account.home)/Mail/\(account.email)"
            try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
            let synced = try await account.run("/usr/bin/mbsync", ["-c", rc, "-a"])
            #expect(synced.status == 0, "mbsync: \(synced.stdout) \(synced.stderr)")
            let inbox = try FileManager.default.contentsOfDirectory(atPath: "\(maildir)/INBOX/new")
                + FileManager.default.contentsOfDirectory(atPath: "\(maildir)/INBOX/cur")
            let contents = try inbox.map { name in
                try String(contentsOfFile: "\(maildir)/INBOX/\(FileManager.default.fileExists(atPath: "\(maildir)/INBOX/new/\(name)") ? "new" : "cur")/\(name)", encoding: .utf8)
            }
            #expect(contents.contains { $0.contains("synced \(label)") }, "\(inbox)")
        }
    }

    /// fetchmail 6.4 with the generated file (no password in it: ~/.netrc), through
    /// `mailsrvctl connect` (plugin) and directly.
    @Test(arguments: [true, false])
    func fetchmailRetrieves(tunnel: Bool) async throws {
        let label = tunnel ? "cfgfmt" : "cfgfmd"
        try await Account.with(label: label, imapAddress: tunnel ? "127.0.0.177" : "127.0.0.179",
                               smtpAddress: tunnel ? "127.0.0.178" : "127.0.0.180") { account in
            try account.dovecot.deliver(to: "alice", message: "Subject: for fetchmail\n\nfetched \(label)\n")
            let text = try await account.config("fetchmail", ["--user", "alice"] + (tunnel ? [] : ["--no-tunnel"]))
            #expect(!text.split(separator: "\n").contains { !$0.hasPrefix("#") && $0.contains("password") },
                    "fetchmail gets no password line: \(text)")
            #expect(text.contains("plugin ") == tunnel)
            let rc = try account.file(".fetchmailrc", text)
            let machine = tunnel ? account.world.domain : "imap.\(account.world.domain)"
            _ = try account.file(".netrc", "machine \(machine) login alice password secret\n")
            // Its own lock file: as root fetchmail's default is one for the whole host.
            let output = "\(account.home)/delivered"
            let fetched = try await account.run("/usr/bin/fetchmail", ["-f", rc, "--nodetach", "--pidfile", "\(account.home)/fetchmail.pid", "--mda", "/bin/sh -c 'cat >> \(output)'"])
            #expect(fetched.status == 0, "fetchmail: \(fetched.stdout) \(fetched.stderr)")
            let delivered = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            #expect(delivered.contains("fetched \(label)"), "\(fetched.stderr)")
        }
    }

    /// neomutt 2022 with the generated file, in a pseudo-terminal: it opens the INBOX (through
    /// `mailsrvctl connect`, and directly) and pipes the message there into a file.
    @Test(arguments: [true, false])
    func neomuttReadsTheInbox(tunnel: Bool) async throws {
        let label = tunnel ? "cfgnmt" : "cfgnmd"
        try await Account.with(label: label, imapAddress: tunnel ? "127.0.0.187" : "127.0.0.189",
                               smtpAddress: tunnel ? "127.0.0.188" : "127.0.0.190") { account in
            try account.dovecot.deliver(to: "alice", message: "Subject: for neomutt\n\nread \(label)\n")
            let text = try await account.config("neomutt", ["--user", "alice", "--password-command", "echo secret"]
                                                + (tunnel ? [] : ["--no-tunnel"]))
            let rc = try account.file("neomuttrc", text)
            let piped = "\(account.home)/piped"
            let read = try await account.run("/usr/bin/script", NeomuttTerminal.scriptArguments(rc: rc, pipingTo: piped))
            #expect(read.status == 0, "neomutt: \(read.stdout) \(read.stderr) with \(text)")
            let message = (try? String(contentsOfFile: piped, encoding: .utf8)) ?? ""
            #expect(message.contains("read \(label)"), "\(read.stdout)")
            #expect(account.dovecot.log.contains("Login: user=<alice>"))
        }
    }

    /// neomutt and getmail read the generated files with their own parsers; aerc 0.14 has no
    /// non-interactive check (it needs a terminal), so its file is only checked for its keys.
    @Test func neomuttGetmailAercAndThunderbirdFragments() async throws {
        try await Account.with(label: "cfgmisc", imapAddress: "127.0.0.181", smtpAddress: "127.0.0.182") { account in
            for tunnel in [true, false] {
                let text = try await account.config("neomutt", ["--password-command", "echo secret"] + (tunnel ? [] : ["--no-tunnel"]))
                let rc = try account.file("neomuttrc", text)
                // neomutt prints the folder with its user decoded.
                for (variable, expected) in [("folder", tunnel ? "imap://alice@cfgmisc.example.net@cfgmisc.example.net/"
                                                               : "imaps://alice@cfgmisc.example.net@imap.cfgmisc.example.net:\(account.dovecot.imapsPort!)/"),
                                             ("smtp_url", "smtps://alice%40cfgmisc.example.net@smtp.cfgmisc.example.net:\(account.submissionsPort)/")] {
                    let queried = try await ChildProcess.run("/usr/bin/neomutt", ["-n", "-F", rc, "-Q", variable])
                    #expect(queried.status == 0, "neomutt -Q \(variable): \(queried.stderr)")
                    #expect(queried.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "set \(variable) = \"\(expected)\"")
                }
            }

            let getmail = try await account.config("getmail", ["--user", "alice", "--password-command", "echo secret"])
            let getmailrc = try account.file("getmailrc", getmail)
            for part in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(account.home)/Maildir/\(part)", withIntermediateDirectories: true)
            }
            let dumped = try await account.run("/usr/bin/getmail", ["--rcfile", getmailrc, "--getmaildir", account.home, "--dump"])
            #expect(dumped.status == 0, "getmail --dump: \(dumped.stdout) \(dumped.stderr) of \(getmail)")
            #expect(dumped.stdout.contains("SimpleIMAPSSLRetriever") && dumped.stdout.contains("imap.cfgmisc.example.net"),
                    "\(dumped.stdout)")

            let aerc = try await account.config("aerc", ["--password-command", "echo secret"])
            #expect(aerc.contains("source = imaps://alice%40cfgmisc.example.net@imap.cfgmisc.example.net:\(account.dovecot.imapsPort!)"))
            #expect(aerc.contains("source-cred-cmd = echo secret") && aerc.contains("outgoing-cred-cmd = echo secret"))

            let xml = try await account.config("thunderbird")
            let parsed = try await ChildProcess.run("/usr/bin/python3", ["-c", """
                import sys, xml.etree.ElementTree as ET
                root = ET.fromstring(sys.stdin.read())
                for e in root.iter("incomingServer"): print(e.get("type"), e.findtext("hostname"), e.findtext("port"), e.findtext("socketType"))
                for e in root.iter("outgoingServer"): print(e.get("type"), e.findtext("hostname"), e.findtext("port"), e.findtext("socketType"))
                """], input: Data(xml.utf8))
            #expect(parsed.stdout.split(separator: "\n") == [
                "imap imap.cfgmisc.example.net \(account.dovecot.imapsPort!) SSL",
                "pop3 imap.cfgmisc.example.net \(account.dovecot.pop3sPort!) SSL",
                "smtp smtp.cfgmisc.example.net \(account.submissionsPort) SSL"], "\(parsed.stderr)")
        }
    }

    /// Passwords are never written; without a command the place is a marked placeholder.
    @Test func withoutAPasswordCommandEveryFormatHasAPlaceholderAndNoPassword() async throws {
        try await Account.with(label: "cfgpw", imapAddress: "127.0.0.183", smtpAddress: "127.0.0.184") { account in
            for format in ["msmtp", "mbsync", "neomutt", "aerc", "getmail"] {
                let text = try await account.config(format)
                #expect(text.contains("PLACEHOLDER"), "\(format): \(text)")
                let active = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
                #expect(!active.contains { $0.contains("pass") && !$0.contains("passwords") }, "\(format): \(active)")
            }
            let missing = try await ChildProcess.run(TunnelWorld.mailsrvctl, ["config", "a@nothing.example.net", "--format", "msmtp",
                                                                              "--socket", account.world.daemon.socket])
            #expect(missing.status == 3, "\(missing.stderr)")
        }
    }
}
