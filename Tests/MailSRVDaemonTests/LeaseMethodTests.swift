import MailSRVInterface
import Testing
import Varlink

/// `Acquire`, `Report`, `Release` and `ListLeases` in process (PROTOCOL.md, DESIGN.md §3):
/// pins, leases and failure marks belong to the caller's uid and die with its connection.
@Suite struct LeaseMethodTests {
    private func acquire(_ email: String, want: String? = "imaps") -> DiscoveryInterface.Acquire {
        DiscoveryInterface.Acquire(email: email, want: want, clientHost: nil, alternatives: nil)
    }

    @Test func aHeldPinAnswersWithoutDNS() async throws {
        try await withDaemon { daemon in
            let first = try await daemon.reply(to: acquire("a@example.net"))
            #expect(!first.reused)
            #expect(first.verifyNames == ["example.net"] && first.endpoint.service == "imaps")
            // Even with the cache flushed, the pin answers: no query goes out.
            _ = try await daemon.reply(to: DiscoveryInterface.Flush(domain: nil), uid: 0)
            let queries = try await daemon.reply(to: DiscoveryInterface.Stats()).dnsQueries
            let second = try await daemon.reply(to: acquire("b@example.net"), connection: 2)
            #expect(second.reused)
            #expect(second.endpoint == first.endpoint && second.address == first.address)
            #expect(second.lease != first.lease)
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).dnsQueries == queries)
            // Another uid has its own pin, another want is another pin.
            #expect(try await daemon.reply(to: acquire("a@example.net"), uid: 1001).reused == false)
            #expect(try await daemon.reply(to: acquire("a@example.net", want: "submission"), connection: 2).reused == false)
        }
    }

    @Test func leasesDieWithTheirConnectionAndThePinWithTheLast() async throws {
        try await withDaemon { daemon in
            let first = try await daemon.reply(to: acquire("a@example.net"), connection: 1)
            let second = try await daemon.reply(to: acquire("a@example.net"), connection: 2)
            #expect(Set(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.map(\.lease)) == [first.lease, second.lease])
            await daemon.close(connection: 1)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.map(\.lease) == [second.lease])
            #expect(try await daemon.failure(DiscoveryInterface.Release(lease: first.lease)) == .noSuchLease(.init(lease: first.lease)))
            #expect(try await daemon.reply(to: acquire("a@example.net"), connection: 3).reused)
            await daemon.close(connection: 2)
            await daemon.close(connection: 3)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.isEmpty)
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).leases == 0)
            #expect(try await daemon.reply(to: acquire("a@example.net"), connection: 4).reused == false)
        }
    }

    @Test func noUidSeesReportsOnOrReleasesAnothersLease() async throws {
        try await withDaemon { daemon in
            let root = try await daemon.reply(to: acquire("a@example.net"), uid: 0, connection: 1)
            let mine = try await daemon.reply(to: acquire("b@example.net"), uid: 1000, connection: 2)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases(), uid: 0).leases.map(\.lease) == [root.lease])
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases(), uid: 1000).leases.map(\.lease) == [mine.lease])
            let noSuchLease = DiscoveryInterface.Failure.noSuchLease(.init(lease: root.lease))
            #expect(try await daemon.failure(DiscoveryInterface.Report(lease: root.lease, outcome: "failed")) == noSuchLease)
            #expect(try await daemon.failure(DiscoveryInterface.Release(lease: root.lease)) == noSuchLease)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases(), uid: 0).leases.first?.address == root.address)
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).leases == 2)
        }
    }

    @Test func failedTuplesAreSkippedForTheirUidOnly() async throws {
        try await withDaemon { daemon in
            let lease = try await daemon.reply(to: acquire("a@nopop.example.net"))
            let moved = try await daemon.reply(to: DiscoveryInterface.Report(lease: lease.lease, outcome: "failed"))
            #expect(moved.address != lease.address && moved.endpoint?.host == lease.endpoint.host)
            _ = try await daemon.reply(to: DiscoveryInterface.Release(lease: lease.lease))
            // This uid's next lease avoids the failed address; another uid's may use it.
            let again = try await daemon.reply(to: acquire("a@nopop.example.net"))
            #expect(again.address == moved.address)
            let others = try await daemon.reply(to: DiscoveryInterface.Acquire(
                email: "a@nopop.example.net", want: "imaps", clientHost: nil, alternatives: true), uid: 1001)
            let theirs = [others.address] + (others.alternatives ?? []).map(\.address)
            #expect(theirs.contains(lease.address))
            // The mark lapses after FailureMemory (600 s).
            _ = try await daemon.reply(to: DiscoveryInterface.Release(lease: again.lease))
            daemon.time.advance(by: 601)
            let later = try await daemon.reply(to: DiscoveryInterface.Acquire(
                email: "a@nopop.example.net", want: "imaps", clientHost: nil, alternatives: true))
            #expect(([later.address] + (later.alternatives ?? []).map(\.address)).contains(lease.address))
        }
    }

    @Test func reportTakesConnectedOrFailedOnlyAndAReleasedLeaseIsGone() async throws {
        try await withDaemon { daemon in
            let lease = try await daemon.reply(to: acquire("alice@example.net"))
            #expect(lease.lease.count == 32 && lease.lease.allSatisfy(\.isHexDigit))
            let call = VarlinkCall(DiscoveryInterface.Report(lease: lease.lease, outcome: "maybe"))
            #expect(await daemon.varlinkError(call) == .invalidParameter("outcome"))
            let connected = try await daemon.reply(to: DiscoveryInterface.Report(lease: lease.lease, outcome: "connected"))
            #expect(connected.address == lease.address)
            let listed = try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases
            #expect(listed == [DiscoveryInterface.Lease(lease: lease.lease, email: "alice@example.net", want: "imaps",
                                                        endpoint: lease.endpoint, address: lease.address, state: "connected")])
            _ = try await daemon.reply(to: DiscoveryInterface.Release(lease: lease.lease))
            #expect(try await daemon.reply(to: DiscoveryInterface.ListLeases()).leases.isEmpty)
            #expect(try await daemon.failure(DiscoveryInterface.Release(lease: lease.lease)) == .noSuchLease(.init(lease: lease.lease)))
            #expect(try await daemon.failure(DiscoveryInterface.Report(lease: "0123", outcome: "failed")) == .noSuchLease(.init(lease: "0123")))
        }
    }

    @Test func acquireErrorsAreTheProtocolsErrors() async throws {
        try await withDaemon { daemon async throws in
            #expect(try await daemon.failure(acquire("@example.net")) == .invalidAddress(.init(email: "@example.net")))
            #expect(try await daemon.failure(acquire("a@nothing.example.net", want: "submission"))
                == .noService(.init(domain: "nothing.example.net", want: "submission")))
            let method = DiscoveryInterface.Method.acquire.qualifiedName
            #expect(await daemon.varlinkError(VarlinkCall(method: method, parameters: ["email": "a@example.net", "want": 3]))
                == .invalidParameter("want"))
            #expect(await daemon.varlinkError(VarlinkCall(method: method, parameters: ["email": "a@example.net", "want": "imap-groups"]))
                == .invalidParameter("want"))
        }
    }
}
