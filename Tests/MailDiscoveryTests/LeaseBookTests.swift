import Foundation
import Synchronization
import Testing
@testable import MailDiscovery

/// ``LeaseBook``: the order of an `Acquire` (a held pin answers without DNS), leases that
/// die with their connection, confirmations that widen the names and clear failure marks,
/// and pins that survive a restart — what the daemon's adapter used to do itself.
@Suite struct LeaseBookTests {
    /// A clock the test moves by hand.
    final class ManualTime: TimeSource {
        private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { current.withLock { $0 } }
        func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
    }

    /// The upstream of a fixed zone, counting the questions that reach it: imaps of
    /// example.net on a.example.net (priority 0), then b.example.net (priority 10).
    final class ZoneUpstream: DNSQuerying {
        private let asked = Mutex(0)
        var questions: Int { asked.withLock { $0 } }

        func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
            asked.withLock { $0 += 1 }
            switch (name, type) {
            case ("_imaps._tcp.example.net", .srv):
                return .success(DNSAnswer(outcome: .records, services: [
                    SRVRecord(priority: 0, weight: 0, port: 993, target: "a.example.net"),
                    SRVRecord(priority: 10, weight: 0, port: 993, target: "b.example.net"),
                ], ttl: 300, dnssec: .insecure))
            case ("a.example.net", .a): return .success(DNSAnswer(outcome: .records, addresses: ["192.0.2.1"], ttl: 300, dnssec: .insecure))
            case ("b.example.net", .a): return .success(DNSAnswer(outcome: .records, addresses: ["192.0.2.2"], ttl: 300, dnssec: .insecure))
            default: return .success(DNSAnswer(outcome: .noDomain, ttl: 300, dnssec: .insecure))
            }
        }
    }

    let time = ManualTime()
    let upstream = ZoneUpstream()
    let alice = LeaseOwner(uid: 1000, connection: 1)
    let target = try! TrustedTarget(domain: "example.net", host: "b.example.net")

    func book(registry: LeaseRegistry = LeaseRegistry(), saveTrust: @escaping @Sendable (TrustStore) -> Void = { _ in }) -> LeaseBook {
        let resolver = CachingResolver(upstream: upstream, time: time)
        let discovery = Discovery(resolver: resolver, settings: DiscoverySettings(clientHost: nil, hostFamilies: [.ipv4]))
        return LeaseBook(discovery: discovery, registry: registry, saveTrust: saveTrust, time: time)
    }

    func acquire(_ book: LeaseBook, _ owner: LeaseOwner, email: String = "a@example.net",
                 alternatives: Bool = false) async throws(AcquireError) -> AcquiredLease {
        try await book.acquire(email: email, want: .single(.imaps), clientHost: nil, alternatives: alternatives, owner: owner)
    }

    @Test func aHeldPinAnswersWithoutALookupEvenWithTheCacheFlushed() async throws {
        let book = book()
        let first = try await acquire(book, alice)
        #expect(!first.reused && first.route.tuple.address == "192.0.2.1")
        _ = book.discovery.flush(domain: nil)
        let asked = upstream.questions
        let second = try await acquire(book, LeaseOwner(uid: 1000, connection: 2), email: "b@example.net")
        #expect(second.reused && second.route == first.route && second.lease.id != first.lease.id)
        #expect(upstream.questions == asked, "no question went out")
        // Another uid has no pin: it looks up.
        #expect(try await acquire(book, LeaseOwner(uid: 1001, connection: 3)).reused == false)
        #expect(upstream.questions > asked)
    }

    @Test func leasesDieWithTheirConnectionAndThePinWithTheLast() async throws {
        let book = book()
        let first = try await acquire(book, alice)
        let second = try await acquire(book, LeaseOwner(uid: 1000, connection: 2))
        #expect(book.releaseAll(connection: 1) == 1)
        #expect(book.leases(of: 1000).map(\.id) == [second.lease.id])
        #expect(!book.release(first.lease.id, uid: 1000))
        #expect(!book.release(second.lease.id, uid: 1001), "not another uid's")
        #expect(book.release(second.lease.id, uid: 1000))
        #expect(book.totalLeases == 0)
        _ = book.discovery.flush(domain: nil)
        #expect(try await acquire(book, alice).reused == false)
    }

    @Test func acquireFailsWithItsLookupOrItsLeasesLimit() async throws {
        let book = book(registry: LeaseRegistry(maxLeasesPerUID: 1))
        await #expect(throws: AcquireError.lookup(.noService(domain: "example.org", want: "imaps"))) {
            try await acquire(book, alice, email: "a@example.org")
        }
        await #expect(throws: AcquireError.self) { try await acquire(book, alice, email: "not an address") }
        _ = try await acquire(book, alice)
        await #expect(throws: AcquireError.lease(.tooManyLeases)) { try await acquire(book, alice) }
    }

    @Test func reportsMoveTheLeaseAndAlternativesSkipFailedTuples() async throws {
        let book = book()
        let lease = try await acquire(book, alice, alternatives: true)
        #expect(lease.alternatives?.map(\.tuple.address) == ["192.0.2.2"])
        let moved = try book.report(lease.lease.id, .failed, at: nil, uid: 1000)
        #expect(moved.tuple.address == "192.0.2.2")
        #expect(throws: LeaseError.noSuchLease(lease.lease.id)) { try book.report(lease.lease.id, .connected, at: nil, uid: 1001) }
        #expect(try book.report(lease.lease.id, .connected, at: nil, uid: 1000) == moved)
        #expect(book.leases(of: 1000).first?.state == .connected)
    }

    @Test func aConfirmationWidensTheNamesOfItsUidOnlyAndIsSavedOnlyWhenItChanges() async throws {
        let saved = Mutex<[[TrustedTarget]]>([])
        let book = book(saveTrust: { store in saved.withLock { $0.append(store.targets(of: 1000)) } })
        #expect(try book.trust(target, uid: 1000))
        #expect(try book.trust(target, uid: 1000) == false)
        #expect(book.trusted(by: 1000) == [target] && book.trusted(by: 1001).isEmpty)
        let lease = try await acquire(book, alice, alternatives: true)
        #expect(lease.route.verifyNames == ["example.net"])
        #expect(lease.alternatives?.first?.verifyNames == ["example.net", "b.example.net"])
        let lookup = try await book.discovery.lookup(email: "a@example.net", want: .single(.imaps))
        #expect(book.confirmed(lookup, uid: 1000).verifyNames == ["example.net", "b.example.net"])
        #expect(book.confirmed(lookup, uid: 1001).verifyNames == ["example.net"])
        #expect(book.untrust(target, uid: 1000))
        #expect(book.untrust(target, uid: 1000) == false)
        #expect(saved.withLock { $0 } == [[target], []])
    }

    @Test func aConfirmationClearsTheFailureMarksOnItsHost() async throws {
        let book = book()
        let lease = try await acquire(book, alice)
        _ = try book.report(lease.lease.id, .failed, at: nil, uid: 1000)      // a.example.net marked
        _ = try book.report(lease.lease.id, .connected, at: nil, uid: 1000)
        #expect(book.release(lease.lease.id, uid: 1000))
        #expect(try await acquire(book, alice).route.tuple.endpoint.host == "b.example.net")
        _ = book.releaseAll(connection: 1)
        _ = try book.trust(try TrustedTarget(domain: "example.net", host: "a.example.net"), uid: 1000)
        #expect(try await acquire(book, alice).route.tuple.endpoint.host == "a.example.net")
    }

    @Test func pinsSurviveARestartForTheirGraceAndFailureMarksUntilTheyLapse() async throws {
        let before = book(registry: LeaseRegistry(failureMemory: 600))
        let lease = try await acquire(before, alice)
        let moved = try before.report(lease.lease.id, .failed, at: nil, uid: 1000)   // a.example.net marked
        let snapshot = before.snapshot()
        // Within its grace, the restored pin answers without DNS.
        let restarted = book(registry: LeaseRegistry(failureMemory: 600))
        #expect(restarted.restore(snapshot, grace: 120) == (pins: 1, dropped: 0))
        time.advance(by: 119)
        let asked = upstream.questions
        let again = try await acquire(restarted, LeaseOwner(uid: 1000, connection: 5))
        #expect(again.reused && again.route.tuple.destination == moved.tuple.destination && upstream.questions == asked)
        // Past its grace, it is gone; the failure mark still holds.
        let late = book(registry: LeaseRegistry(failureMemory: 600))
        #expect(late.restore(snapshot, grace: 120) == (pins: 1, dropped: 0))
        time.advance(by: 121)
        late.prune()
        #expect(late.snapshot().pins.isEmpty && late.snapshot().failures[1000]?.count == 1)
        let fresh = try await acquire(late, alice)
        #expect(!fresh.reused && fresh.route.tuple.endpoint.host == "b.example.net")
        _ = late.releaseAll(connection: 1)
        time.advance(by: 600)
        late.prune()
        #expect(late.snapshot().failures.isEmpty)
    }
}
