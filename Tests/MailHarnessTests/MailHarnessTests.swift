import Foundation
import Glibc
import MailHarness
import Testing
import TestSupport

/// The harness's servers are real and do what the tunnel tests rely on: Dovecot greets with
/// its host's text, offers STARTTLS only with a certificate and lets a user log in over TLS;
/// the submission server stores what it receives; a blackholed address does not answer.
@Suite(.timeLimit(.minutes(2)), .enabled(if: getuid() == 0, "dovecot needs root"))
struct MailHarnessTests {
    @Test func dovecotGreetsLogsInOverTLSAndServesDeliveredMail() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try await TestCA.make(in: directory)
        let certificate = try await ca.issue(names: ["imap.example.net"], file: "imap")
        let dovecot = try await DovecotServer.start(.init(address: "127.0.0.41", greeting: "harness-one ready",
                                                          certificate: certificate))
        defer { Task { await dovecot.stop() } }
        try dovecot.deliver(to: "alice", message: "Subject: harness\r\n\r\nhello\r\n")

        let script = """
            import imaplib, poplib, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[1]); ctx.check_hostname = False
            m = imaplib.IMAP4(sys.argv[2], int(sys.argv[3]))
            print(m.welcome.decode())
            m.starttls(ctx); m.login("alice", "secret"); m.select("INBOX")
            print(m.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")[1][0][1].decode().strip())
            m.logout()
            m = imaplib.IMAP4_SSL(sys.argv[2], int(sys.argv[4]), ssl_context=ctx); m.login("alice", "secret"); m.logout()
            p = poplib.POP3_SSL(sys.argv[2], int(sys.argv[5]), context=ctx); print(p.getwelcome().decode()); p.user("alice"); p.pass_("secret"); print(p.stat()[0]); p.quit()
            """
        let run = try await ChildProcess.run(try await Python.executable(), Python.standardLibraryOnly + ["-c", script, ca.certificateFile, dovecot.address,
                                                               "\(dovecot.imapPort)", "\(dovecot.imapsPort!)", "\(dovecot.pop3sPort!)"],
                                             timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("STARTTLS") == true)
        #expect(lines.first?.hasSuffix("harness-one ready") == true)
        #expect(lines.contains("Subject: harness"))
        #expect(lines.contains("+OK harness-one ready"))
        #expect(lines.last == "1")
        #expect(dovecot.log.contains("Login: user=<alice>"))
    }

    @Test func dovecotWithoutCertificateOffersNoSTARTTLS() async throws {
        let dovecot = try await DovecotServer.start(.init(address: "127.0.0.42", greeting: "plain host", certificate: nil))
        defer { Task { await dovecot.stop() } }
        let greeting = try #require(await LineProbe.firstLine(address: dovecot.address, port: dovecot.imapPort))
        #expect(greeting.hasSuffix("plain host"))
        #expect(!greeting.contains("STARTTLS"))
        #expect(dovecot.imapsPort == nil)
    }

    @Test func submissionServerStoresWhatItReceivesOverTLS() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try await TestCA.make(in: directory)
        let certificate = try await ca.issue(names: ["smtp.example.net"], file: "smtp")
        let smtp = try await SubmissionServer.start(address: "127.0.0.43", name: "smtp-one", certificate: certificate, plain: true)
        defer { Task { await smtp.stop() } }
        let script = """
            import smtplib, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[1]); ctx.check_hostname = False
            s = smtplib.SMTP(sys.argv[2], int(sys.argv[3])); s.starttls(context=ctx); s.login("alice", "secret")
            s.sendmail("alice@example.net", ["bob@example.net"], "Subject: one\\r\\n\\r\\nbody\\r\\n"); s.quit()
            s = smtplib.SMTP_SSL(sys.argv[2], int(sys.argv[4]), context=ctx); s.login("alice", "secret")
            s.sendmail("alice@example.net", ["carol@example.net"], "Subject: two\\r\\n\\r\\nbody\\r\\n"); s.quit()
            s = smtplib.SMTP(sys.argv[2], int(sys.argv[5])); s.ehlo(); print(s.has_extn("starttls")); s.quit()
            """
        let run = try await ChildProcess.run(try await Python.executable(), Python.standardLibraryOnly + ["-c", script, ca.certificateFile, smtp.address,
                                                               "\(smtp.submissionPort!)", "\(smtp.submissionsPort!)", "\(smtp.plainPort!)"],
                                             timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "False\n")
        let received = try smtp.received()
        #expect(received.map(\.to) == [["bob@example.net"], ["carol@example.net"]])
        #expect(received.allSatisfy { $0.tls && $0.user == "alice" })
    }

    @Test func blackholeDropsConnections() async throws {
        let hole = try Blackhole(address: "127.0.0.44")
        let run = try await ChildProcess.run(try await Python.executable(), Python.standardLibraryOnly + ["-c", """
            import socket, sys
            try:
                socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5); print("connected")
            except socket.timeout:
                print("timeout")
            """, hole.address, "\(hole.port)"], timeout: .seconds(30))
        #expect(run.stdout == "timeout\n")
    }

    private func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
