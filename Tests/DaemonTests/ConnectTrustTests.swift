import Foundation
import MailHarness
import Testing
import TestSupport

/// `mailsrvctl trust` seen by `mailsrvctl connect` (CLIENTS.md §2): a certificate naming only
/// the SRV target (an unsigned zone) is refused, accepted once this user trusts the target,
/// still after a restart, never for another user, and refused again after `untrust`.
@Suite(.timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "dovecot and setpriv need root"))
struct ConnectTrustTests {
    @Test func aTargetOnlyCertificateIsAcceptedForTheUserWhoTrustsTheTargetUntilUntrust() async throws {
        try await TunnelWorld.with(label: "trusting") { world in
            let target = "imap.\(world.domain)"
            let dovecot = try await world.dovecot("127.0.0.78", greeting: "trusted target", names: [target])
            try await world.publish([.init(service: "imaps", port: dovecot.imapsPort!, host: "imap")],
                                    hosts: ["imap": ["127.0.0.78"]])
            func tunnel() async throws -> ChildProcess.Finished {
                try await StreamClient.run(.imap, command: world.tunnelCommand())
            }
            func mailsrvctl(_ arguments: [String]) async throws -> ChildProcess.Finished {
                try await ChildProcess.run(TunnelWorld.mailsrvctl, arguments + ["--socket", world.daemon.socket])
            }

            let login = "A1 LOGIN alice secret\r\n"
            let refused = try await world.connect(input: login)
            #expect(refused.status == 69, "\(refused.stderr)")
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("mailsrvctl trust \(world.domain) \(target)"), "\(refused.stderr)")

            let trust = try await mailsrvctl(["trust", world.domain, target])
            #expect(trust.status == 0, "\(trust.stderr)")
            let accepted = try await tunnel()
            #expect(accepted.values("exit") == ["0"], "\(accepted.stdout)\(accepted.stderr)")
            #expect(accepted.values("greeting").first?.hasSuffix("trusted target") == true)
            #expect(accepted.values("login") == ["OK"])

            // Another user has not confirmed it: refused for nobody.
            let nobody = try await ChildProcess.run("/usr/bin/setpriv", [
                "--reuid=65534", "--regid=65534", "--clear-groups", TunnelWorld.mailsrvctl, "connect", "alice@\(world.domain)",
            ] + world.commonArguments, input: Data(login.utf8), timeout: .seconds(90))
            #expect(nobody.status == 69, "\(nobody.stderr)")
            #expect(nobody.stdout.isEmpty)

            // A restart keeps the confirmation.
            #expect(await world.daemon.stop() == 0)
            let restarted = try await DaemonProcess(dnsServer: world.knot.forwarder, directory: world.daemon.directory)
            defer { Task { await restarted.stop() } }
            #expect(restarted.socket == world.daemon.socket)
            let afterRestart = try await tunnel()
            #expect(afterRestart.values("exit") == ["0"], "\(afterRestart.stdout)\(afterRestart.stderr)")
            #expect(afterRestart.values("login") == ["OK"])

            let untrust = try await mailsrvctl(["untrust", world.domain, target])
            #expect(untrust.status == 0, "\(untrust.stderr)")
            let refusedAgain = try await world.connect(input: login)
            #expect(refusedAgain.status == 69, "\(refusedAgain.stderr)")
            #expect(refusedAgain.stdout.isEmpty)
            #expect(dovecot.log.components(separatedBy: "user=<alice>").count - 1 == 2, "two logins: after trust, after the restart")
        }
    }
}
