import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// When the upstream servers change, answers learned from the old ones are not served as
/// fresh (negative ones included) and prepared lookups go; they are still served as stale
/// when the new servers fail (DESIGN.md §4). Here the change is a SIGHUP reload with other
/// `DNS=` servers; the root-only `ResolvConfFollowingTests` change `/etc/resolv.conf`.
@Suite(.timeLimit(.minutes(2))) struct SplitHorizonTests {
    /// The "home" network's view of example.net: other IMAPS servers, and a domain the
    /// "office" servers do not know.
    static let homeView: [ZoneEdit] = [
        .unset(owner: "_imaps._tcp", type: "SRV"),
        .set(owner: "_imaps._tcp", ttl: 3600, type: "SRV", data: "0 1 993 imap-backup.example.net."),
        .set(owner: "_imaps._tcp.onlyhome", ttl: 3600, type: "SRV", data: "0 1 993 imap1.example.net."),
    ]

    /// The IMAPS servers of example.net in each view, sorted.
    static let officeIMAPS = ["imap-backup.example.net:993", "imap1.example.net:993", "imap2.example.net:993"]
    static let homeIMAPS = ["imap-backup.example.net:993"]

    @Test func aReloadToOtherServersForgetsTheOldAnswersAsFreshAndKeepsThemAsStale() async throws {
        let office = try await SharedKnot.server()
        let home = try await KnotServer.start(signing: false)
        try await home.change(zone: "example.net", Self.homeView)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("split-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listener = try NotifyListener(directory: directory)
        let daemon = try await DaemonProcess(dnsServer: nil, config: "[Discovery]\nDNS=\(office.forwarder)\nQueryTimeout=2s\n",
                                             directory: directory, environment: ["NOTIFY_SOCKET": listener.path])
        _ = await listener.until("READY=1")

        await #expect(try daemon.imaps("a@example.net") == Self.officeIMAPS)
        await #expect(try daemon.call(.lookup, ["email": "a@onlyhome.example.net", "want": "imaps"]).errorName == "NoService")
        let submission = try await daemon.call(.lookup, ["email": "a@example.net", "want": "submission"])
        #expect(submission.error == nil)
        await #expect(try daemon.call(.lookup, ["email": "a@example.net", "want": "imaps"])["source"] == "cache")

        try daemon.rewriteConfig("[Discovery]\nDNS=\(home.forwarder)\nQueryTimeout=2s\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = await listener.until("READY=1")
        #expect(daemon.log.contains("upstream servers changed"), "\(daemon.log)")

        let atHome = try await daemon.call(.lookup, ["email": "a@example.net", "want": "imaps"])
        #expect(atHome["source"] == "dns")
        #expect(hostsAndAddresses(atHome) == ["imap-backup.example.net:993 127.0.0.13"])
        await #expect(try daemon.imaps("a@example.net") == Self.homeIMAPS)
        let found = try await daemon.call(.lookup, ["email": "a@onlyhome.example.net", "want": "imaps"])
        #expect(found.error == nil, "the office's NoService hides the home server's records")
        #expect(hostsAndAddresses(found).first?.hasPrefix("imap1.example.net:993") == true)

        await home.stop()
        let stale = try await daemon.call(.lookup, ["email": "a@example.net", "want": "submission"])
        #expect(stale.error == nil)
        #expect(stale["source"] == "stale", "the office's answer, served as stale while the home server is down")
        #expect(hostsAndAddresses(stale).sorted() == hostsAndAddresses(submission).sorted())
        await daemon.stop()
    }
}
