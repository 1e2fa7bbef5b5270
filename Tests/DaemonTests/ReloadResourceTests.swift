import Foundation
import MailSRVInterface
import Testing
import Varlink

/// A reload that replaces the resolver frees the old one's thread and descriptors once its
/// queries have ended (issue 11, finding 9: 100 quick SIGHUPs left 108 threads and 624
/// descriptors until the query timeout had passed). Forty reloads here: each would leave
/// a thread, ten times the slack allowed, and the reloads are waited for one by one.
@Suite struct ReloadResourceTests {
    func count(_ directory: String) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: directory).count) ?? -1
    }

    @Test func fortyReloadsThatReplaceTheResolverLeaveNoThreadsOrDescriptors() async throws {
        let knot = try await SharedKnot.server()
        // A long query timeout: before the fix, every replaced resolver lived that long.
        let config = { (timeout: Int) in "[Discovery]\nDNS=\(knot.forwarder)\nQueryTimeout=\(timeout)s\n" }
        let daemon = try await DaemonProcess(dnsServer: nil, config: config(60), logLevel: "notice")
        let pid = daemon.process.processIdentifier
        await #expect(try daemon.call(.lookup, ["email": "a@example.net"]).errorName == nil)
        let threads = { self.count("/proc/\(pid)/task") }
        let descriptors = { self.count("/proc/\(pid)/fd") }
        let before = (threads: threads(), descriptors: descriptors())

        let reloads = { daemon.log.components(separatedBy: "configuration reloaded").count - 1 }
        for n in 1...40 {
            try daemon.rewriteConfig(config(60 + n % 2))
            kill(pid, SIGHUP)
            let reloaded = try await eventually(within: 20) { reloads() >= n }
            try #require(reloaded, "reload \(n) not logged: \(daemon.log.suffix(2000))")
        }
        // The resolver in place works.
        await #expect(try daemon.call(.lookup, ["email": "a@nopop.example.net"]).errorName == nil)
        // A few threads of slack for the runtime's own pools.
        let settled = try await eventually(within: 20) {
            threads() <= before.threads + 4 && descriptors() <= before.descriptors + 4
        }
        #expect(settled, "threads \(before.threads) → \(threads()), descriptors \(before.descriptors) → \(descriptors())")
        #expect(await daemon.stop() == 0)
    }
}
