import Foundation
import MailHarness
import Testing
import TestSupport

/// Candidates that cannot be used are failed candidates, never a hang and never a plaintext
/// session: the tunnel goes on to the next (all addresses of a host before the next host),
/// and with none left exits 69 with the reason, having written nothing to stdout.
@Suite(.timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "dovecot needs root"))
struct ConnectFailoverTests {
    static let login = "A1 LOGIN alice secret\r\n"

    @Test func refusedBlackholedAndUntrustedCandidatesAreSkipped() async throws {
        try await TunnelWorld.with(label: "failover") { world in
            let refusedPort = try FreePort.pick(address: "127.0.0.61")
            let hole = try Blackhole(address: "127.0.0.62")
            defer { hole.close() }
            let untrusted = try await world.dovecot("127.0.0.63", greeting: "untrusted", names: [world.domain], untrusted: true)
            let good = try await world.dovecot("127.0.0.64", greeting: "good one", names: [world.domain])
            try await world.publish([.init(service: "imaps", priority: 0, port: refusedPort, host: "refused"),
                                     .init(service: "imaps", priority: 1, port: hole.port, host: "hole"),
                                     .init(service: "imaps", priority: 2, port: untrusted.imapsPort!, host: "untrusted"),
                                     .init(service: "imaps", priority: 3, port: good.imapsPort!, host: "good")],
                                    hosts: ["refused": ["127.0.0.61"], "hole": ["127.0.0.62"],
                                            "untrusted": ["127.0.0.63"], "good": ["127.0.0.64"]])
            let run = try await StreamClient.run(.imap, command: world.tunnelCommand())
            #expect(run.values("exit") == ["0"], "\(run.stdout)\(run.stderr)")
            #expect(run.values("greeting").first?.hasSuffix("good one") == true)
            #expect(run.values("login") == ["OK"])
            // The untrusted server saw a TLS handshake that the tunnel broke off, and no login.
            #expect(untrusted.log.contains("alert unknown ca"), "\(untrusted.log)")
            #expect(!untrusted.log.contains("user=<alice>"))
        }
    }

    /// A server 300 ms a round trip away (its TLS answer comes later than RFC 8305's 250 ms
    /// connection attempt delay) is used, and not marked failed: the next tunnel uses it too.
    @Test func slowButAnsweringCandidateIsUsed() async throws {
        try await TunnelWorld.with(label: "slow") { world in
            let far = try await world.dovecot("127.0.0.78", greeting: "slow server", names: [world.domain])
            let near = try await world.dovecot("127.0.0.79", greeting: "fast server", names: [world.domain])
            let proxy = try await world.hostile(.slow(address: far.address, port: far.imapsPort!, delay: .milliseconds(150)), "127.0.0.80")
            try await world.publish([.init(service: "imaps", priority: 0, port: proxy.port, host: "slow"),
                                     .init(service: "imaps", priority: 1, port: near.imapsPort!, host: "fast")],
                                    hosts: ["slow": ["127.0.0.80"], "fast": ["127.0.0.79"]])
            for _ in 0..<2 {
                let run = try await StreamClient.run(.imap, command: world.tunnelCommand())
                #expect(run.values("exit") == ["0"], "\(run.stdout)\(run.stderr)")
                #expect(run.values("greeting").first?.hasSuffix("slow server") == true)
            }
            #expect(!near.log.contains("user=<alice>"))
        }
    }

    @Test func allAddressesOfAHostBeforeTheNextHost() async throws {
        try await TunnelWorld.with(label: "addresses") { world in
            let second = try await world.dovecot("127.0.0.67", greeting: "second address", names: [world.domain])
            let other = try await world.dovecot("127.0.0.68", greeting: "other host", names: [world.domain])
            // The first address of `multi` refuses (nothing listens there on that port).
            try await world.publish([.init(service: "imaps", priority: 0, port: second.imapsPort!, host: "multi"),
                                     .init(service: "imaps", priority: 1, port: other.imapsPort!, host: "other")],
                                    hosts: ["multi": ["127.0.0.66", "127.0.0.67"], "other": ["127.0.0.68"]])
            let run = try await StreamClient.run(.imap, command: world.tunnelCommand())
            #expect(run.values("exit") == ["0"], "\(run.stdout)\(run.stderr)")
            #expect(run.values("greeting").first?.hasSuffix("second address") == true)
        }
    }

    @Test func exhaustedExits69WithTheReason() async throws {
        try await TunnelWorld.with(label: "exhausted") { world in
            let port = try FreePort.pick(address: "127.0.0.69")
            try await world.publish([.init(service: "imaps", port: port, host: "down")], hosts: ["down": ["127.0.0.69"]])
            let run = try await world.connect(input: Self.login)
            #expect(run.status == 69)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.contains("Connection refused"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func serverWithoutSTARTTLSIsRefusedAndHearsNothing() async throws {
        try await TunnelWorld.with(label: "nostarttls") { world in
            let dovecot = try await world.dovecot("127.0.0.70", greeting: "plain only", names: nil)
            let smtp = try await world.submission("127.0.0.70", name: "plain-smtp", names: nil, plain: true)
            // Three host names (a failure marks a host's address for every service).
            try await world.publish([.init(service: "imap", port: dovecot.imapPort, host: "plain-imap"),
                                     .init(service: "pop3", port: dovecot.pop3Port, host: "plain-pop"),
                                     .init(service: "submission", port: smtp.plainPort!, host: "plain-smtp")],
                                    hosts: ["plain-imap": ["127.0.0.70"], "plain-pop": ["127.0.0.70"], "plain-smtp": ["127.0.0.70"]])
            let imap = try await world.connect(input: Self.login)
            #expect(imap.status == 69)
            #expect(imap.stdout.isEmpty)
            #expect(imap.stderr.contains("refused STARTTLS"), "\(imap.stderr)")
            let pop3 = try await world.connect(["--protocol", "pop3"], input: "USER alice\r\nPASS secret\r\n")
            #expect(pop3.status == 69)
            #expect(pop3.stdout.isEmpty)
            #expect(pop3.stderr.contains("refused STLS"), "\(pop3.stderr)")
            let submission = try await world.connect(["--protocol", "submission"], input: "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
            #expect(submission.status == 69)
            #expect(submission.stdout.isEmpty)
            #expect(submission.stderr.contains("does not offer STARTTLS"), "\(submission.stderr)")
            // Nothing of the client's reached either server.
            #expect(!dovecot.log.contains("user=<alice>"), "\(dovecot.log)")
            #expect(try smtp.received().isEmpty)
        }
    }

    @Test func hostileServersAreFailedCandidatesWithAReason() async throws {
        try await TunnelWorld.with(label: "hostile") { world in
            let cases: [(HostileServer.Mode, String, String)] = [
                (.garbage, "imap", "unexpected greeting \"HTTP/1.1 400 Bad Request\""),
                (.endless, "imap", "a line longer than 8192 bytes"),
                (.tlsalert, "imaps", "handshake failure"),
            ]
            for (index, (mode, service, reason)) in cases.enumerated() {
                let address = "127.0.0.\(71 + index)"
                let server = try await world.hostile(mode, address)
                let label = "h\(index)"
                try await world.knot.change(zone: "example.net", [
                    .set(owner: "_\(service)._tcp.\(label).\(world.domain).", ttl: 300, type: "SRV", data: "0 0 \(server.port) bad.\(label).\(world.domain)."),
                    .set(owner: "bad.\(label).\(world.domain).", ttl: 300, type: "A", data: address),
                ])
                let run = try await ChildProcess.run(TunnelWorld.mailsrvctl, ["connect", "alice@\(label).\(world.domain)"] + world.commonArguments,
                                                     input: Data(Self.login.utf8), timeout: .seconds(60))
                #expect(run.status == 69, "\(mode): \(run.stderr)")
                #expect(run.stdout.isEmpty, "\(mode)")
                #expect(run.stderr.contains(reason), "\(mode): \(run.stderr)")
            }
        }
    }
}
