import Foundation
import MailHarness
import Testing
import TestSupport

/// Debian's own mail clients, set up as the README says, through `mailsrvctl connect`:
/// mbsync and offlineimap sync a mailbox into a Maildir, fetchmail fetches over POP3, neomutt
/// reads a mailbox (in a pseudo-terminal) and sends.
@Suite(.timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "dovecot needs root"))
struct ConnectClientTests {
    /// README.md's mbsync set-up as written (its password command made `echo secret`).
    @Test func mbsyncSyncsTheMailboxThroughTheTunnel() async throws {
        try await TunnelWorld.with(label: "mbsync") { world in
            let user = "alice@\(world.domain)"
            let dovecot = try await world.dovecot("127.0.0.91", greeting: "mbsync server", names: [world.domain],
                                                  users: [user: "secret"])
            for n in 1...3 { try dovecot.deliver(to: user, message: "Subject: message \(n)\r\n\r\nbody \(n)\r\n") }
            try await world.publish([.init(service: "imap", port: dovecot.imapPort, host: "mail")],
                                    hosts: ["mail": ["127.0.0.91"]])
            // `~` is $HOME, the world's directory; `mkdir -p ~/Mail/work`, as the README says.
            let local = "\(world.directory)/Mail/work"
            try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
            try world.readmeSetup("mbsync", replacing: ["pass show mail": "echo secret"])
                .write(toFile: "\(world.directory)/.mbsyncrc", atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run("/usr/bin/mbsync", ["-a"],
                                                 environment: ["HOME": world.directory, "PATH": "/usr/bin:/bin"],
                                                 timeout: .seconds(90))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(local)/INBOX/new")
                + FileManager.default.contentsOfDirectory(atPath: "\(local)/INBOX/cur")
            let subjects = try files.map { name in
                let directory = FileManager.default.fileExists(atPath: "\(local)/INBOX/new/\(name)") ? "new" : "cur"
                return try String(contentsOfFile: "\(local)/INBOX/\(directory)/\(name)", encoding: .utf8)
                    .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            }
            #expect(subjects.sorted() == ["Subject: message 1", "Subject: message 2", "Subject: message 3"])
            #expect(dovecot.log.split(separator: "\n")
                .contains { $0.contains("Login: user=<\(user)>") && $0.contains(", TLS") }, "\(dovecot.log)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/offlineimap"), "needs offlineimap3"))
    func offlineimapSyncsThroughTheTunnel() async throws {
        try await TunnelWorld.with(label: "offlineimap") { world in
            let dovecot = try await world.dovecot("127.0.0.94", greeting: "offlineimap server", names: [world.domain])
            try dovecot.deliver(to: "alice", message: "Subject: offline\r\n\r\nbody\r\n")
            try await world.publish([.init(service: "imaps", port: dovecot.imapsPort!, host: "mail")],
                                    hosts: ["mail": ["127.0.0.94"]])
            let local = "\(world.directory)/offlineimap-mail"
            let rc = "\(world.directory)/offlineimaprc"
            try """
                [general]
                accounts = tunnel
                metadata = \(world.directory)/offlineimap-state

                [Account tunnel]
                localrepository = local
                remoterepository = remote

                [Repository local]
                type = Maildir
                localfolders = \(local)

                [Repository remote]
                type = IMAP
                transporttunnel = \(world.tunnelCommand())
                remoteuser = alice
                remotepass = secret
                ssl = no
                starttls = no

                """.write(toFile: rc, atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run("/usr/bin/offlineimap", ["-c", rc, "-o", "-u", "basic"],
                                                 environment: ["HOME": world.directory, "PATH": "/usr/bin:/bin"],
                                                 timeout: .seconds(90))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let inbox = "\(local)/INBOX"
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: "\(inbox)/cur")) ?? [])
                + ((try? FileManager.default.contentsOfDirectory(atPath: "\(inbox)/new")) ?? [])
            #expect(files.count == 1, "\(run.stdout)\(run.stderr)")
            #expect(dovecot.log.split(separator: "\n").contains { $0.contains("Login: user=<alice>") && $0.contains(", TLS") })
        }
    }

    @Test func fetchmailFetchesOverPOP3ThroughTheTunnel() async throws {
        try await TunnelWorld.with(label: "fetchmail") { world in
            let dovecot = try await world.dovecot("127.0.0.92", greeting: "fetchmail server", names: [world.domain])
            try dovecot.deliver(to: "alice", message: "Subject: fetched\r\n\r\nbody\r\n")
            try await world.publish([.init(service: "pop3s", port: dovecot.pop3sPort!, host: "pop")],
                                    hosts: ["pop": ["127.0.0.92"]])
            let delivered = "\(world.directory)/delivered"
            let rc = "\(world.directory)/fetchmailrc"
            try """
                set no syslog
                poll localhost with proto POP3 plugin "\(world.tunnelCommand(["--protocol", "pop3"]))"
                    user alice there with password secret is root here
                    sslproto '' keep
                    mda "/bin/sh -c 'cat > \(delivered)'"

                """.write(toFile: rc, atomically: true, encoding: .utf8)
            chmod(rc, 0o600)
            let run = try await ChildProcess.run("/usr/bin/fetchmail", ["-f", rc, "--nodetach", "--pidfile", "\(world.directory)/fetchmail.pid"],
                                                 environment: ["HOME": world.directory, "PATH": "/usr/bin:/bin"],
                                                 timeout: .seconds(90))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let message = (try? String(contentsOfFile: delivered, encoding: .utf8)) ?? ""
            #expect(message.contains("Subject: fetched"), "\(run.stdout)\(run.stderr)")
            #expect(dovecot.log.split(separator: "\n").contains { $0.contains("pop3-login: Info: Login: user=<alice>") && $0.contains(", TLS") })
        }
    }

    /// README.md's neomutt set-up as written, plus the password and the sender.
    @Test func neomuttSendsThroughTheTunnel() async throws {
        try await TunnelWorld.with(label: "neomutt") { world in
            let user = "alice@\(world.domain)"
            let smtp = try await world.submission("127.0.0.93", name: "neomutt-smtp", names: [world.domain], user: user)
            try await world.publish([.init(service: "submission", port: smtp.submissionPort!, host: "smtp")],
                                    hosts: ["smtp": ["127.0.0.93"]])
            let rc = "\(world.directory)/neomuttrc"
            try (world.readmeSetup("neomutt") + """
                set smtp_pass = "secret"
                set from = "\(user)"
                set use_from = yes
                set record = ""

                """).write(toFile: rc, atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run("/usr/bin/neomutt", ["-n", "-F", rc, "-s", "sent by neomutt", "bob@example.org"],
                                                 input: Data("hello from neomutt\n".utf8),
                                                 environment: ["HOME": world.directory, "PATH": "/usr/bin:/bin", "TERM": "dumb"],
                                                 timeout: .seconds(90))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let received = try smtp.received()
            #expect(received.map(\.to) == [["bob@example.org"]])
            #expect(received.first?.tls == true)
            #expect(received.first?.user == user)
            #expect(received.first?.data.contains("Subject: sent by neomutt") == true)
        }
    }

    /// README.md's neomutt set-up as written, plus the password, in a pseudo-terminal: neomutt
    /// opens the INBOX through the tunnel, pipes the one message there (which exists only on
    /// the server) into a file and quits.
    @Test func neomuttReadsTheInboxThroughTheTunnel() async throws {
        try await TunnelWorld.with(label: "neomutt-imap") { world in
            let user = "alice@\(world.domain)"
            let dovecot = try await world.dovecot("127.0.0.95", greeting: "neomutt imap server", names: [world.domain],
                                                  users: [user: "secret"])
            let token = UUID().uuidString
            try dovecot.deliver(to: user, message: "Subject: only on the server\r\n\r\n\(token)\r\n")
            try await world.publish([.init(service: "imap", port: dovecot.imapPort, host: "mail")],
                                    hosts: ["mail": ["127.0.0.95"]])
            let piped = "\(world.directory)/piped"
            let rc = "\(world.directory)/neomuttrc"
            try (world.readmeSetup("neomutt") + "set imap_pass = \"secret\"\n").write(toFile: rc, atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run("/usr/bin/script", NeomuttTerminal.scriptArguments(rc: rc, pipingTo: piped),
                                                 environment: ["HOME": world.directory, "PATH": "/usr/bin:/bin"],
                                                 timeout: .seconds(90))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let message = (try? String(contentsOfFile: piped, encoding: .utf8)) ?? ""
            #expect(message.contains("Subject: only on the server") && message.contains(token), "\(run.stdout)")
            #expect(dovecot.log.split(separator: "\n")
                .contains { $0.contains("imap-login: Info: Login: user=<\(user)>") && $0.contains(", TLS") }, "\(dovecot.log)")
        }
    }
}
