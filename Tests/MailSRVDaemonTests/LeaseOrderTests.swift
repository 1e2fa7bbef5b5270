import MailSRVInterface
import Testing
import Varlink

/// The order a lease walks on `Report failed` (DESIGN.md §1.6, §3), the protocol groups,
/// `Acquire`'s alternatives and `Report`'s tuple of the lease's order, in process.
@Suite struct LeaseOrderTests {
    private func acquire(_ email: String, want: String? = nil, alternatives: Bool? = nil) -> DiscoveryInterface.Acquire {
        DiscoveryInterface.Acquire(email: email, want: want, clientHost: nil, alternatives: alternatives)
    }

    /// "host address port" of an endpoint and address.
    private func place(_ endpoint: DiscoveryInterface.Endpoint?, _ address: String?) -> String {
        "\(endpoint?.host ?? "-") \(address ?? "-") \(endpoint?.port ?? 0)"
    }

    /// Reports the lease failed until the daemon refuses: the place and service of each
    /// tuple the lease was on, and the error that ended the walk.
    private func walk(_ daemon: InProcessDaemon, from acquired: DiscoveryInterface.AcquireReply) async throws
        -> (places: [String], services: [String], end: DiscoveryInterface.Failure?) {
        var places = [place(acquired.endpoint, acquired.address)], services = [acquired.endpoint.service]
        for _ in 0..<20 {
            let reply = await daemon.call(DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
            if let error = reply.varlinkError { return (places, services, try DiscoveryInterface.Failure(error)) }
            let moved = try DiscoveryInterface.ReportReply(parameters: reply.parameters)
            places.append(place(moved.endpoint, moved.address))
            services.append(moved.endpoint?.service ?? "-")
        }
        return (places, services, nil)
    }

    @Test func reportFailedWalksAddressesThenHostsThenPOP3DownToExhausted() async throws {
        try await withDaemon { daemon async throws in
            let acquired = try await daemon.reply(to: acquire("a@example.net"))
            let (places, services, end) = try await walk(daemon, from: acquired)
            let hosts = places.map { $0.split(separator: " ")[0] }
            // imaps on imap1 and imap2 (two addresses each), imaps imap-backup, pop3s pop. A failure
            // marks the (host, address), so imap on imap1:143 and pop3 on pop:110 are not tried again.
            #expect(places.count == 6)
            #expect(Set(hosts.prefix(4)) == ["imap1.example.net", "imap2.example.net"])
            #expect(hosts[0] == hosts[1], "all addresses of a host first")
            #expect(services == ["imaps", "imaps", "imaps", "imaps", "imaps", "pop3s"])
            #expect(places.suffix(2) == ["imap-backup.example.net 127.0.0.13 993", "pop.example.net ::1 995"])
            #expect(end == .exhausted(.init(domain: "example.net")))
            #expect(try await daemon.failure(DiscoveryInterface.Release(lease: acquired.lease)) == .noSuchLease(.init(lease: acquired.lease)),
                    "an exhausted lease is released")
            // The failure marks stay: a new Acquire of this uid finds nothing left.
            #expect(try await daemon.failure(acquire("a@example.net")) == .exhausted(.init(domain: "example.net")))
        }
    }

    @Test func theProtocolGroupsAreWantsWithoutFallbackToTheOtherProtocol() async throws {
        try await withDaemon { daemon async throws in
            let pop3 = try await daemon.reply(to: DiscoveryInterface.Lookup(email: "a@groups.example.net", want: "pop3-group",
                                                                            clientHost: nil, resolve: nil))
            #expect(pop3.candidates.map(\.service) == ["pop3s", "pop3"])
            let acquired = try await daemon.reply(to: acquire("a@example.net", want: "imap-group"))
            // imaps on imap1 and imap2 (two addresses each), then imap-backup; imap on imap1
            // shares imap1's failed addresses; never POP3.
            let (_, services, end) = try await walk(daemon, from: acquired)
            #expect(services == ["imaps", "imaps", "imaps", "imaps", "imaps"])
            #expect(end == .exhausted(.init(domain: "example.net")))
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.isEmpty)
        }
    }

    @Test func acquireListsAlternativesAndReportNamesAnyTupleOfTheLease() async throws {
        try await withDaemon { daemon async throws in
            #expect(try await daemon.reply(to: acquire("a@example.net", want: "imaps")).alternatives == nil, "only when asked")
            let acquired = try await daemon.reply(to: acquire("a@example.net", want: "imap-group", alternatives: true))
            let alternatives = try #require(acquired.alternatives)
            let places = alternatives.map { place($0.endpoint, $0.address) }
            // imaps on imap1 and imap2 (two addresses each), imap on imap1 (two), imaps on
            // imap-backup: seven tuples, the first of which is the lease's.
            #expect(alternatives.count == 6)
            #expect(!places.contains(place(acquired.endpoint, acquired.address)))
            func report(_ outcome: String, on route: DiscoveryInterface.Route) -> DiscoveryInterface.Report {
                DiscoveryInterface.Report(lease: acquired.lease, outcome: outcome, host: route.endpoint.host,
                                          port: route.endpoint.port, address: route.address)
            }
            // "failed" on an alternative marks it and leaves the lease where it is.
            let backup = try #require(alternatives.first { $0.endpoint.host == "imap-backup.example.net" })
            let failed = try await daemon.reply(to: report("failed", on: backup))
            #expect(place(failed.endpoint, failed.address) == place(acquired.endpoint, acquired.address))
            let again = try await daemon.reply(to: acquire("a@example.net", want: "imap-group", alternatives: true), connection: 2)
            #expect(again.reused)
            #expect(again.alternatives?.map { place($0.endpoint, $0.address) } == places.filter { $0 != place(backup.endpoint, backup.address) })
            // "connected" on an alternative moves the lease and the pin there.
            let chosen = alternatives[1]
            let connected = try await daemon.reply(to: report("connected", on: chosen))
            #expect(place(connected.endpoint, connected.address) == place(chosen.endpoint, chosen.address))
            let next = try await daemon.reply(to: acquire("a@example.net", want: "imap-group"), connection: 3)
            #expect(next.reused && place(next.endpoint, next.address) == place(chosen.endpoint, chosen.address))
            // All three or none; a tuple of the lease's order only.
            let method = DiscoveryInterface.Method.report.qualifiedName
            func reportError(_ parameters: JSONObject) async -> VarlinkError? {
                await daemon.varlinkError(VarlinkCall(method: method, parameters: parameters.merging(
                    ["lease": .string(acquired.lease), "outcome": "failed"]) { $1 }))
            }
            #expect(await reportError(["host": "imap1.example.net"]) == .invalidParameter("port"))
            #expect(await reportError(["host": "imap1.example.net", "port": "993", "address": "::1"]) == .invalidParameter("port"))
            #expect(await reportError(["host": "pop.example.net", "port": 995, "address": "::1"]) == .invalidParameter("host"))
        }
    }
}
