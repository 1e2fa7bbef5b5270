import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// Leases over the socket (DESIGN.md §3) where a process matters: libunbound's own TTLs,
/// a real connection closing, the config file's limit. The methods themselves, their
/// order and errors: MailSRVDaemonTests (LeaseMethodTests, LeaseOrderTests).
@Suite struct LeaseMethodTests {
    /// Host and address of an Acquire or Report reply.
    func tuple(_ reply: VarlinkReply) -> String { tuple(.object(reply.parameters)) }

    /// Host and address of a `Route` (or of a reply's parameters).
    func tuple(_ route: JSONValue) -> String {
        "\(route["endpoint"]?["host"]?.stringValue ?? "-") \(route["address"]?.stringValue ?? "-")"
    }

    @Test func thePinHoldsPastTheRecordsTTLAndALiveDNSChange() async throws {
        let knot = try await KnotServer.start(signing: false)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder)
        let holder = try await daemon.connect()
        let first = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@live.example.net"])
        #expect(first["endpoint"]?["host"] == "live.example.net")
        try await knot.change(zone: "example.net", [
            .unset(owner: "_imaps._tcp.live", type: "SRV"),
            .set(owner: "_imaps._tcp.live", ttl: 2, type: "SRV", data: "0 1 993 imap1.example.net."),
        ])
        // Asked until the old record (TTL 2 s) has expired and the new one answers.
        let changed = try await eventually(within: 10) {
            try await daemon.call(.lookup, ["email": "a@live.example.net"])["candidates"]?.arrayValue?.first?["host"] == "imap1.example.net"
        }
        #expect(changed, "DNS did change")
        let again = try await daemon.connect().call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@live.example.net"])
        #expect(again["reused"] == true)
        #expect(tuple(again) == tuple(first))
        holder.close()
        await daemon.stop()
        await knot.stop()
    }

    @Test func leasesDieWithTheirConnectionAndThePinWithTheLastLease() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let holder = try await daemon.connect()
        let acquired = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(acquired["reused"] == false)
        let observer = try await daemon.connect()
        await #expect(try observer.call(DiscoveryInterface.Method.listLeases.qualifiedName)["leases"]?.arrayValue?.count == 1)
        await #expect(try observer.call(DiscoveryInterface.Method.stats.qualifiedName)["leases"] == 1)
        holder.close()
        var left: Int? = 1
        for _ in 0..<100 where left != 0 {
            try await Task.sleep(for: .milliseconds(20))
            left = try await observer.call(DiscoveryInterface.Method.listLeases.qualifiedName)["leases"]?.arrayValue?.count
        }
        #expect(left == 0)
        let fresh = try await observer.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(fresh["reused"] == false, "the pin went with its last lease")
        await daemon.stop()
    }

    @Test func aUserOverTheLeaseLimitGetsTooManyRequests() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                             config: "[Discovery]\nMaxLeasesPerUser=2\n")
        let client = try await daemon.connect()
        for _ in 0..<2 {
            await #expect(try client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"]).error == nil)
        }
        let third = try await client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(third.errorName == "TooManyRequests")
        await #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).error == nil)
        await daemon.stop()
    }
}
