import Foundation
import MailHarness
import Testing
import TestSupport

/// `mailsrvctl connect` against real Dovecot and a real submission server, each with the TLS
/// mode its SRV record says, driven by Python's own clients (imaplib's IMAP4_stream, poplib,
/// smtplib): the client's login reaches the server only under TLS, and the client sees the
/// server's greeting (implicit TLS) or the tunnel's, without capabilities (STARTTLS).
@Suite(.timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "dovecot needs root"))
struct ConnectTLSTests {
    @Test func imapImplicitTLSAndSTARTTLS() async throws {
        try await TunnelWorld.with(label: "tls-imap") { world in
            let dovecot = try await world.dovecot("127.0.0.51", greeting: "imap-one ready", names: [world.domain])
            try dovecot.deliver(to: "alice", message: "Subject: one\r\n\r\nbody\r\n")
            try await world.publish([.init(service: "imaps", port: dovecot.imapsPort!, host: "mail"),
                                     .init(service: "imap", port: dovecot.imapPort, host: "mail")],
                                    hosts: ["mail": ["127.0.0.51"]])

            let implicit = try await StreamClient.run(.imap, command: world.tunnelCommand(["--want", "imaps"]))
            #expect(implicit.values("exit") == ["0"], "\(implicit.stdout)\(implicit.stderr)")
            #expect(implicit.values("greeting").first?.hasPrefix("* OK [CAPABILITY") == true)
            #expect(implicit.values("greeting").first?.hasSuffix("imap-one ready") == true)
            #expect(implicit.values("login") == ["OK"])
            #expect(implicit.values("subject") == ["Subject: one"])

            let starttls = try await StreamClient.run(.imap, command: world.tunnelCommand(["--want", "imap"]))
            #expect(starttls.values("exit") == ["0"], "\(starttls.stdout)\(starttls.stderr)")
            #expect(starttls.values("greeting") == ["* OK TLS to mail.\(world.domain) made by mailsrvctl connect"])
            // imaplib asked for the capabilities again: these are the ones Dovecot gives under TLS.
            #expect(starttls.values("capabilities").first?.contains("AUTH=PLAIN") == true)
            #expect(starttls.values("capabilities").first?.contains("STARTTLS") == false)
            #expect(starttls.values("subject") == ["Subject: one"])

            // Both logins were under TLS, as Dovecot saw them.
            let logins = dovecot.log.split(separator: "\n").filter { $0.contains("Login: user=<alice>") }
            #expect(logins.count == 2)
            #expect(logins.allSatisfy { $0.contains(", TLS") })
        }
    }

    /// Megabytes each way through the relay's bounded buffers arrive whole: an APPEND of 6 MiB
    /// from the client, then its FETCH back, compared byte for byte.
    @Test func largeMessagesPassBothWays() async throws {
        try await TunnelWorld.with(label: "bulk") { world in
            let dovecot = try await world.dovecot("127.0.0.54", greeting: "bulk", names: [world.domain])
            try await world.publish([.init(service: "imap", port: dovecot.imapPort, host: "mail")], hosts: ["mail": ["127.0.0.54"]])
            let script = """
                import hashlib, imaplib, os, sys
                body = b"".join(b"%08d " % i + os.urandom(45).hex().encode() + b"\\r\\n" for i in range(60000))
                message = b"Subject: bulk\\r\\n\\r\\n" + body
                m = imaplib.IMAP4_stream(sys.argv[1])
                m.login("alice", "secret")
                print("append", m.append("INBOX", None, None, message)[0], flush=True)
                m.select("INBOX")
                typ, data = m.fetch("1", "(BODY.PEEK[])")
                print("size", len(message), len(data[0][1]))
                print("same", hashlib.sha256(data[0][1]).hexdigest() == hashlib.sha256(message).hexdigest())
                m.logout()
                print("exit", m.process.wait(30))
                """
            let run = try await ChildProcess.run(try await Python.executable(), Python.standardLibraryOnly + ["-c", script, world.tunnelCommand()], timeout: .seconds(120))
            #expect(run.values("append") == ["OK"], "\(run.stdout)\(run.stderr)")
            #expect(run.values("same") == ["True"], "\(run.stdout)")
            #expect(run.values("exit") == ["0"])
        }
    }

    @Test func pop3ImplicitTLSAndSTLS() async throws {
        try await TunnelWorld.with(label: "tls-pop3") { world in
            let dovecot = try await world.dovecot("127.0.0.52", greeting: "pop-one ready", names: [world.domain])
            try dovecot.deliver(to: "alice", message: "Subject: one\r\n\r\nbody\r\n")
            try await world.publish([.init(service: "pop3s", port: dovecot.pop3sPort!, host: "pop"),
                                     .init(service: "pop3", port: dovecot.pop3Port, host: "pop")],
                                    hosts: ["pop": ["127.0.0.52"]])
            for (want, greeting) in [("pop3s", "+OK pop-one ready"),
                                      ("pop3", "+OK TLS to pop.\(world.domain) made by mailsrvctl connect")] {
                let run = try await StreamClient.run(.pop3, command: world.tunnelCommand(["--protocol", "pop3", "--want", want]))
                #expect(run.values("exit") == ["0"], "\(want): \(run.stdout)\(run.stderr)")
                #expect(run.values("greeting") == [greeting])
                #expect(run.values("login") == ["+OK Logged in."])
                #expect(run.values("stat") == ["1"])
            }
            let logins = dovecot.log.split(separator: "\n").filter { $0.contains("pop3-login: Info: Login: user=<alice>") }
            #expect(logins.count == 2)
            #expect(logins.allSatisfy { $0.contains(", TLS") })
        }
    }

    @Test func submissionImplicitTLSAndSTARTTLS() async throws {
        try await TunnelWorld.with(label: "tls-smtp") { world in
            let smtp = try await world.submission("127.0.0.53", name: "smtp-one", names: [world.domain])
            try await world.publish([.init(service: "submissions", port: smtp.submissionsPort!, host: "smtp"),
                                     .init(service: "submission", port: smtp.submissionPort!, host: "smtp")],
                                    hosts: ["smtp": ["127.0.0.53"]])
            for (want, recipient) in [("submissions", "bob@example.org"), ("submission", "carol@example.org")] {
                let run = try await StreamClient.run(.smtp, command: world.tunnelCommand(["--protocol", "submission", "--want", want]),
                                                     recipient: recipient)
                #expect(run.values("exit") == ["0"], "\(want): \(run.stdout)\(run.stderr)")
                let greeting = run.values("greeting").first ?? ""
                if want == "submissions" {
                    #expect(greeting.hasPrefix("220 smtp-one "), "\(run.stdout)")
                } else {
                    #expect(greeting == "220 smtp.\(world.domain) ESMTP (TLS made by mailsrvctl connect)")
                }
                #expect(run.values("starttls offered") == ["False"])
                #expect(run.values("sent") == [recipient])
            }
            let received = try smtp.received()
            #expect(received.map(\.to) == [["bob@example.org"], ["carol@example.org"]])
            #expect(received.allSatisfy { $0.tls && $0.user == "alice" })
        }
    }
}
