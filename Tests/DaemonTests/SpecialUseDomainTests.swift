import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// A lab domain under `.test`, a home network's `home.arpa` and other special-use names
/// served by the site's resolver are found through mailsrvd exactly as `kdig` finds them
/// at the same server (DESIGN.md §4: libunbound's built-in local zones are off).
@Suite struct SpecialUseDomainTests {
    static let domains = ["lab.test", "home.arpa", "lab.invalid", "site.onion"]

    @Test func specialUseDomainsAreFoundAsKdigFindsThem() async throws {
        let zone = KnotServer.mailZone(address: "127.0.0.78")
        let knot = try await KnotServer.start(signing: false,
                                              extraZones: Dictionary(uniqueKeysWithValues: Self.domains.map { ($0, zone) }))
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder)
        for domain in Self.domains {
            let srv = try await knot.kdig(["+short", "_imaps._tcp.\(domain)", "SRV"])
                .split(whereSeparator: \.isWhitespace).map(String.init)
            let target = try #require(srv.count == 4 ? String(srv[3].dropLast()) : nil, "kdig: \(srv)")
            let address = try await knot.kdig(["+short", target, "A"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let reply = try await daemon.call(.lookup, ["email": .string("alice@\(domain)"), "want": "imaps"])
            #expect(reply.error == nil, "\(domain): \(reply)")
            #expect(hostsAndAddresses(reply) == ["\(target):\(srv[2]) \(address)"], "\(domain)")
        }
        await daemon.stop()
        await knot.stop()
    }
}
