import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// `Acquire`, `Report`, `Release` and `ListLeases` over the socket (DESIGN.md §3).
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
        let holder = try daemon.connect()
        let first = try holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@live.example.net"])
        #expect(first["endpoint"]?["host"] == "live.example.net")
        try await knot.change(zone: "example.net", [
            .unset(owner: "_imaps._tcp.live", type: "SRV"),
            .set(owner: "_imaps._tcp.live", ttl: 2, type: "SRV", data: "0 1 993 imap1.example.net."),
        ])
        try await Task.sleep(for: .milliseconds(3100))
        let lookup = try daemon.call(.lookup, ["email": "a@live.example.net"])
        #expect(lookup["candidates"]?.arrayValue?.first?["host"] == "imap1.example.net", "DNS did change")
        let again = try daemon.connect().call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@live.example.net"])
        #expect(again["reused"] == true)
        #expect(tuple(again) == tuple(first))
        holder.close()
        await daemon.stop()
        await knot.stop()
    }

    @Test func reportFailedWalksAddressesThenHostsThenPOP3DownToExhausted() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        // Retrieval for example.net: walk every (host, address) in Lookup order.
        let acquired = try client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        let lease = try #require(acquired["lease"]?.stringValue)
        var walk = [tuple(acquired)]
        var services = [acquired["endpoint"]?["service"]?.stringValue ?? ""]
        while true {
            let next = try client.call(DiscoveryInterface.Method.report.qualifiedName, ["lease": .string(lease), "outcome": "failed"])
            if let error = next.errorName {
                #expect(error == "Exhausted")
                #expect(next["domain"] == "example.net")
                break
            }
            walk.append(tuple(next))
            services.append(next["endpoint"]?["service"]?.stringValue ?? "")
            #expect(walk.count < 20)
        }
        // imaps on imap1 and imap2 (two addresses each), imaps imap-backup, pop3s pop. A failure
        // marks the (host, address), so imap on imap1:143 and pop3 on pop:110 are not tried again.
        #expect(walk.count == 6)
        #expect(Set(walk.prefix(4).map { $0.split(separator: " ")[0] }) == ["imap1.example.net", "imap2.example.net"])
        #expect(walk[0].split(separator: " ")[0] == walk[1].split(separator: " ")[0], "all addresses of a host first")
        #expect(services == ["imaps", "imaps", "imaps", "imaps", "imaps", "pop3s"])
        #expect(walk.suffix(2) == ["imap-backup.example.net 127.0.0.13", "pop.example.net ::1"])
        let gone = try client.call(DiscoveryInterface.Method.release.qualifiedName, ["lease": .string(lease)])
        #expect(gone.errorName == "NoSuchLease", "an exhausted lease is released")
        // The failure marks stay: a new Acquire for this user finds nothing left.
        let after = try client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(after.errorName == "Exhausted")
        await daemon.stop()
    }

    @Test func theProtocolGroupsAreWantsOfLookupAndAcquireWithoutFallbackToTheOtherProtocol() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        let lookup = try daemon.call(.lookup, ["email": "a@groups.example.net", "want": "pop3-group"])
        #expect(lookup["candidates"]?.arrayValue?.map { $0["service"]?.stringValue ?? "" } == ["pop3s", "pop3"])
        let acquired = try client.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                       ["email": "a@example.net", "want": "imap-group"])
        #expect(acquired["endpoint"]?["service"] == "imaps")
        let lease = try #require(acquired["lease"]?.stringValue)
        var services = [acquired["endpoint"]?["service"]?.stringValue ?? ""]
        while true {
            let next = try client.call(DiscoveryInterface.Method.report.qualifiedName, ["lease": .string(lease), "outcome": "failed"])
            if next.errorName != nil {
                #expect(next.errorName == "Exhausted")
                break
            }
            services.append(next["endpoint"]?["service"]?.stringValue ?? "")
            #expect(services.count < 20)
        }
        // imaps on imap1 and imap2 (two addresses each), then imap-backup; imap on imap1
        // shares imap1's failed addresses; never POP3.
        #expect(services == ["imaps", "imaps", "imaps", "imaps", "imaps"])
        let leases = try client.call(DiscoveryInterface.Method.listLeases.qualifiedName)
        #expect(leases["leases"] == [])
        let bad = try client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net", "want": "imap-groups"])
        #expect(bad["parameter"] == "want")
        await daemon.stop()
    }

    @Test func acquireListsAlternativesAndReportNamesAnyTupleOfTheLease() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        let acquire = DiscoveryInterface.Method.acquire.qualifiedName
        let report = DiscoveryInterface.Method.report.qualifiedName
        let plain = try client.call(acquire, ["email": "a@example.net", "want": "imaps"])
        #expect(plain.error == nil && plain["alternatives"] == nil, "only when asked")
        let acquired = try client.call(acquire, ["email": "a@example.net", "want": "imap-group", "alternatives": true])
        let lease = try #require(acquired["lease"]?.stringValue)
        let alternatives = try #require(acquired["alternatives"]?.arrayValue)
        /// Host, port and address of a `Route` or a reply.
        func place(_ route: JSONValue) -> String {
            "\(tuple(route)) \(route["endpoint"]?["port"]?.intValue ?? 0)"
        }
        // imaps on imap1 and imap2 (two addresses each), imap on imap1 (two), imaps on
        // imap-backup: seven tuples, the first of which is the lease's.
        #expect(alternatives.count == 6)
        #expect(!alternatives.map(place).contains(place(.object(acquired.parameters))))
        #expect(alternatives.allSatisfy { $0["endpoint"]?["service"] != nil && $0["address"]?.stringValue != nil })
        func named(_ route: JSONValue) -> JSONObject {
            ["host": route["endpoint"]?["host"] ?? .null, "port": route["endpoint"]?["port"] ?? .null,
             "address": route["address"] ?? .null]
        }
        // "failed" on an alternative marks it and leaves the lease where it is.
        let backup = try #require(alternatives.first { $0["endpoint"]?["host"] == "imap-backup.example.net" })
        let failed = try client.call(report, ["lease": .string(lease), "outcome": "failed"].merging(named(backup)) { $1 })
        #expect(failed.error == nil)
        #expect(tuple(failed) == tuple(acquired))
        let again = try daemon.connect().call(acquire, ["email": "a@example.net", "want": "imap-group", "alternatives": true])
        #expect(again["reused"] == true)
        #expect(again["alternatives"]?.arrayValue?.map(place) == alternatives.map(place).filter { $0 != place(backup) })
        // "connected" on an alternative moves the lease and the pin there.
        let chosen = alternatives[1]
        let connected = try client.call(report, ["lease": .string(lease), "outcome": "connected"].merging(named(chosen)) { $1 })
        #expect(place(.object(connected.parameters)) == place(chosen))
        let next = try daemon.connect().call(acquire, ["email": "a@example.net", "want": "imap-group"])
        #expect(next["reused"] == true)
        #expect(place(.object(next.parameters)) == place(chosen))
        // All three or none; a tuple of the lease's order only.
        let partial = try client.call(report, ["lease": .string(lease), "outcome": "failed", "host": "imap1.example.net"])
        #expect(partial["parameter"] == "port")
        let wrongType = try client.call(report, ["lease": .string(lease), "outcome": "failed", "host": "imap1.example.net",
                                                 "port": "993", "address": "::1"])
        #expect(wrongType["parameter"] == "port")
        let outside = try client.call(report, ["lease": .string(lease), "outcome": "failed", "host": "pop.example.net",
                                               "port": 995, "address": "::1"])
        #expect(outside.error == VarlinkError.Name.invalidParameter)
        #expect(outside["parameter"] == "host")
        await daemon.stop()
    }

    @Test func leasesDieWithTheirConnectionAndThePinWithTheLastLease() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let holder = try daemon.connect()
        let acquired = try holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(acquired["reused"] == false)
        let observer = try daemon.connect()
        #expect(try observer.call(DiscoveryInterface.Method.listLeases.qualifiedName)["leases"]?.arrayValue?.count == 1)
        #expect(try observer.call(DiscoveryInterface.Method.stats.qualifiedName)["leases"] == 1)
        holder.close()
        var left: Int? = 1
        for _ in 0..<100 where left != 0 {
            try await Task.sleep(for: .milliseconds(20))
            left = try observer.call(DiscoveryInterface.Method.listLeases.qualifiedName)["leases"]?.arrayValue?.count
        }
        #expect(left == 0)
        let fresh = try observer.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(fresh["reused"] == false, "the pin went with its last lease")
        await daemon.stop()
    }

    @Test func aUserOverTheLeaseLimitGetsTooManyRequests() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                             config: "[Discovery]\nMaxLeasesPerUser=2\n")
        let client = try daemon.connect()
        for _ in 0..<2 {
            #expect(try client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"]).error == nil)
        }
        let third = try client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(third.errorName == "TooManyRequests")
        #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).error == nil)
        await daemon.stop()
    }
}
