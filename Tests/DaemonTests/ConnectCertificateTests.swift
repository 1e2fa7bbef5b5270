import Foundation
import MailHarness
import Testing
import TestSupport

/// The certificate must name one of the lease's `verifyNames` (RFC 7817, RFC 9525): the mail
/// domain, or the SRV target when DNSSEC secured the SRV answer. Otherwise exit 69 and not one
/// byte of the server's on stdout; a certificate that names the target says how to trust it.
@Suite(.timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "dovecot needs root"))
struct ConnectCertificateTests {
    static let login = "A1 LOGIN alice secret\r\n"

    @Test func certificateForAnotherNameIsRefused() async throws {
        try await TunnelWorld.with(label: "wrongname") { world in
            let dovecot = try await world.dovecot("127.0.0.75", greeting: "wrong name", names: ["other.example.com", "*.example.com"])
            try await world.publish([.init(service: "imaps", port: dovecot.imapsPort!, host: "mail")],
                                    hosts: ["mail": ["127.0.0.75"]])
            let run = try await world.connect(input: Self.login)
            #expect(run.status == 69)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.contains("the certificate names other.example.com, *.example.com, not \(world.domain)"),
                    "\(run.stderr)")
            #expect(!run.stderr.contains("mailsrvctl trust"))
            #expect(!dovecot.log.contains("user=<alice>"))
        }
    }

    @Test func certificateNamingOnlyTheTargetIsRefusedWithTheTrustCommand() async throws {
        try await TunnelWorld.with(label: "targetonly") { world in
            let target = "imap.\(world.domain)"
            let dovecot = try await world.dovecot("127.0.0.76", greeting: "target only", names: [target])
            try await world.publish([.init(service: "imap", port: dovecot.imapPort, host: "imap")],
                                    hosts: ["imap": ["127.0.0.76"]])
            let run = try await world.connect(input: Self.login)
            #expect(run.status == 69)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.contains("the certificate names \(target), not \(world.domain)"), "\(run.stderr)")
            #expect(run.stderr.contains("run: mailsrvctl trust \(world.domain) \(target)"), "\(run.stderr)")
            #expect(!dovecot.log.contains("user=<alice>"))
        }
    }

    @Test func dnssecSecureSRVMakesTheTargetAcceptable() async throws {
        try await TunnelWorld.with(label: "signed", signed: true) { world in
            let target = "mail.\(world.domain)"
            let dovecot = try await world.dovecot("127.0.0.77", greeting: "signed target", names: [target])
            try await world.publish([.init(service: "imaps", port: dovecot.imapsPort!, host: "mail")],
                                    hosts: ["mail": ["127.0.0.77"]])
            let run = try await StreamClient.run(.imap, command: world.tunnelCommand())
            #expect(run.values("exit") == ["0"], "\(run.stdout)\(run.stderr)")
            #expect(run.values("greeting").first?.hasSuffix("signed target") == true)
            #expect(run.values("login") == ["OK"])
        }
    }
}
