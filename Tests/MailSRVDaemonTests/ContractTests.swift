import MailSRVInterface
import Testing

/// What the daemon writes decodes into `MailSRVInterface`'s typed replies and errors, for
/// every method and every error of PROTOCOL.md, and the typed form holds all of it (written
/// again, it gives the same parameters). The daemon's methods run in process, against a
/// real Knot server.
@Suite struct ContractTests {
    @Test func everyMethodsReplyDecodes() async throws {
        try await withDaemon { daemon in
            let lookup = try await daemon.reply(to: DiscoveryInterface.Lookup(
                email: "alice@example.net", want: nil, clientHost: nil, resolve: nil))
            #expect(lookup.domain == "example.net")
            #expect(lookup.candidates.first?.service == "imaps")
            #expect(lookup.source == "dns")
            #expect(lookup.verifyNames == ["example.net"])
            // Now from the cache, on the event loop's path.
            let cached = try #require(try daemon.immediateReply(to: DiscoveryInterface.Lookup(
                email: "alice@example.net", want: "imaps", clientHost: nil, resolve: false)))
            #expect(cached.source == "cache")
            #expect(cached.candidates.allSatisfy { $0.addresses.isEmpty && $0.port == 993 })

            let acquired = try await daemon.reply(to: DiscoveryInterface.Acquire(
                email: "alice@example.net", want: "imaps", clientHost: nil, alternatives: true))
            #expect(!acquired.lease.isEmpty && !acquired.reused)
            #expect(acquired.endpoint.addresses.contains(acquired.address))
            #expect(acquired.alternatives?.isEmpty == false)
            let connected = try await daemon.reply(to: DiscoveryInterface.Report(lease: acquired.lease, outcome: "connected"))
            #expect(connected.endpoint == acquired.endpoint && connected.address == acquired.address)
            let moved = try await daemon.reply(to: DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
            #expect(moved.address != nil && moved.address != acquired.address)
            let other = try #require(acquired.alternatives?.last)
            let elsewhere = try await daemon.reply(to: DiscoveryInterface.Report(
                lease: acquired.lease, outcome: "failed", host: other.endpoint.host, port: other.endpoint.port,
                address: other.address))
            #expect(elsewhere.address == moved.address, "a report on another tuple of the order does not move the lease")
            let leases = try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases
            #expect(leases.map(\.lease) == [acquired.lease])
            #expect(leases.first?.email == "alice@example.net" && leases.first?.want == "imaps")
            #expect(leases.first?.state == "pending")
            _ = try await daemon.reply(to: DiscoveryInterface.Release(lease: acquired.lease))
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.isEmpty)

            let stats = try await daemon.reply(to: DiscoveryInterface.Stats())
            #expect(stats.cachedNames > 0 && stats.cacheHits > 0 && stats.dnsQueries > 0 && stats.leases == 0)
            let flushed = try await daemon.reply(to: DiscoveryInterface.Flush(domain: nil), uid: 0)
            #expect(flushed.flushed == stats.cachedNames)

            let trusted = try await daemon.reply(to: DiscoveryInterface.Trust(domain: "Example.NET", host: "IMAP1.example.net"))
            #expect(trusted.domain == "example.net" && trusted.host == "imap1.example.net" && trusted.added)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListTrusted()).trusted
                == [DiscoveryInterface.Trusted(domain: "example.net", host: "imap1.example.net")])
            let withTrust = try await daemon.reply(to: DiscoveryInterface.Acquire(
                email: "alice@example.net", want: "imaps", clientHost: nil, alternatives: true))
            let routes = try #require(withTrust.alternatives)
            #expect(routes.allSatisfy { $0.verifyNames == ($0.endpoint.host == "imap1.example.net"
                                                            ? ["example.net", "imap1.example.net"] : ["example.net"]) })
            let reported = try await daemon.reply(to: DiscoveryInterface.Report(lease: withTrust.lease, outcome: "connected"))
            #expect(reported.verifyNames == withTrust.verifyNames)
            let untrusted = try await daemon.reply(to: DiscoveryInterface.Untrust(domain: "example.net", host: "imap1.example.net"))
            #expect(untrusted.removed)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListTrusted()).trusted.isEmpty)
        }
    }

    @Test func everyErrorDecodes() async throws {
        try await withDaemon(configure: { $0.limits.leasesPerUser = 1 }) { daemon in
            #expect(try await daemon.failure(DiscoveryInterface.Lookup(email: "not an address", want: nil, clientHost: nil, resolve: nil))
                == .invalidAddress(.init(email: "not an address")))
            #expect(try await daemon.failure(DiscoveryInterface.Lookup(email: "a@nothing.example.net", want: nil, clientHost: nil, resolve: nil))
                == .noService(.init(domain: "nothing.example.net", want: "retrieval")))
            #expect(try await daemon.failure(DiscoveryInterface.Release(lease: "nope")) == .noSuchLease(.init(lease: "nope")))
            #expect(try await daemon.failure(DiscoveryInterface.Flush(domain: nil)) == .permissionDenied(.init()))

            // nopop.example.net offers one endpoint (imaps on imap1): the lease walks its addresses.
            let acquire = DiscoveryInterface.Acquire(email: "a@nopop.example.net", want: nil, clientHost: nil, alternatives: nil)
            let acquired = try await daemon.reply(to: acquire)
            #expect(try await daemon.failure(DiscoveryInterface.Acquire(email: "a@example.net", want: nil, clientHost: nil, alternatives: nil))
                == .tooManyRequests(.init()))
            for _ in acquired.endpoint.addresses.dropLast() {
                _ = try await daemon.reply(to: DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
            }
            #expect(try await daemon.failure(DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
                == .exhausted(.init(domain: "nopop.example.net")))
        }

        try await withDaemon(upstream: "127.0.0.1@1") { unreachable in
            let failed = try await unreachable.failure(DiscoveryInterface.Lookup(
                email: "a@example.net", want: nil, clientHost: nil, resolve: nil))
            guard case .resolutionFailed(let parameters) = failed else {
                Issue.record("expected ResolutionFailed, got \(failed)")
                return
            }
            #expect(parameters.domain == "example.net" && !parameters.reason.isEmpty)
        }
    }
}
