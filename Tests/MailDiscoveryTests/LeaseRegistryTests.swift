import Foundation
import Testing
@testable import MailDiscovery

@Suite struct LeaseRegistryTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let alice = LeaseOwner(uid: 1000, connection: 1)
    let aliceAgain = LeaseOwner(uid: 1000, connection: 2)
    let bob = LeaseOwner(uid: 1001, connection: 3)
    var key: PinKey { PinKey(uid: 1000, domain: "example.net", want: "retrieval") }

    /// imaps on two hosts (two addresses, then one), then pop3s on one host.
    let lookup: LookupResult = {
        func endpoint(_ service: MailService, _ host: String, _ port: UInt16, _ addresses: [String],
                      secure: Bool = false) -> Endpoint {
            Endpoint(service: service, record: SRVRecord(priority: 0, weight: 0, port: port, target: host),
                     addresses: addresses, ttl: 300, srvDNSSEC: secure ? .secure : .insecure)
        }
        return LookupResult(domain: "example.net", candidates: [
            endpoint(.imaps, "a.example.net", 993, ["2001:db8::a", "192.0.2.10"], secure: true),
            endpoint(.imaps, "b.example.net", 993, ["192.0.2.11"]),
            endpoint(.pop3s, "p.example.net", 995, ["192.0.2.20"]),
        ], dnssec: .insecure, source: .dns, verifyNames: ["example.net", "a.example.net"])
    }()

    @Test func theFirstAcquireTakesTheFirstTupleAndLaterOnesReuseItWithoutALookup() throws {
        var registry = LeaseRegistry()
        let first = try registry.acquire(key, email: "alice@example.net", owner: alice, lookup: lookup, now: now)
        #expect(first.reused == false)
        #expect(first.lease.tuple.endpoint.host == "a.example.net")
        #expect(first.lease.tuple.address == "2001:db8::a")
        #expect(registry.activePin(key, now: now) != nil)
        let second = try registry.acquire(key, email: "alice@example.net", owner: aliceAgain, lookup: nil, now: now)
        #expect(second.reused == true)
        #expect(second.lease.tuple == first.lease.tuple)
        #expect(first.lease.id != second.lease.id)
        #expect(first.lease.id.count == 32)
    }

    @Test func verifyNamesIncludeTheHostOnlyWhenItsSRVAnswerWasSecure() throws {
        var registry = LeaseRegistry()
        let secure = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        #expect(registry.verifyNames(for: secure) == ["example.net", "a.example.net"])
        let moved = try registry.reportFailed(secure.id, uid: 1000, now: now)
        let again = try registry.reportFailed(moved.id, uid: 1000, now: now)
        #expect(again.tuple.endpoint.host == "b.example.net")
        #expect(registry.verifyNames(for: again) == ["example.net"])
    }

    @Test func reportFailedWalksAddressesThenHostsThenPOP3ThenIsExhausted() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        var walk = [lease.tuple.address]
        for _ in 0..<3 {
            walk.append(try registry.reportFailed(lease.id, uid: 1000, now: now).tuple.address)
        }
        #expect(walk == ["2001:db8::a", "192.0.2.10", "192.0.2.11", "192.0.2.20"])
        #expect(throws: LeaseError.exhausted(domain: "example.net")) {
            try registry.reportFailed(lease.id, uid: 1000, now: now)
        }
        #expect(registry.lease(lease.id, uid: 1000) == nil)
        #expect(registry.activePin(key, now: now) == nil)
    }

    @Test func failureMarksAreAvoidedByNewPinsUntilTheyExpire() throws {
        var registry = LeaseRegistry(failureMemory: 600)
        let lease = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        _ = try registry.reportFailed(lease.id, uid: 1000, now: now)
        registry.release(lease.id, uid: 1000)
        let soon = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now + 599)
        #expect(soon.lease.tuple.address == "192.0.2.10")
        registry.release(soon.lease.id, uid: 1000)
        let later = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now + 600)
        #expect(later.lease.tuple.address == "2001:db8::a")
    }

    @Test func anotherUIDCanNeitherSeeNorReportNorReleaseALease() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        #expect(registry.leases(of: 1001, now: now).isEmpty)
        #expect(registry.lease(lease.id, uid: 1001) == nil)
        #expect(throws: LeaseError.noSuchLease(lease.id)) { try registry.reportFailed(lease.id, uid: 1001, now: now) }
        #expect(throws: LeaseError.noSuchLease(lease.id)) { try registry.reportConnected(lease.id, uid: 1001, now: now) }
        let releasedByBob = registry.release(lease.id, uid: 1001)
        #expect(releasedByBob == false)
        #expect(registry.leases(of: 1000, now: now).map(\.id) == [lease.id])
        // Bob's failure marks do not move Alice's choices, and Bob gets his own pin.
        let bobKey = PinKey(uid: 1001, domain: "example.net", want: "retrieval")
        let bobs = try registry.acquire(bobKey, email: "b@example.net", owner: bob, lookup: lookup, now: now)
        #expect(bobs.reused == false)
    }

    @Test func thePinGoesWithItsLastLeaseAndWithItsConnection() throws {
        var registry = LeaseRegistry()
        let one = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        let two = try registry.acquire(key, email: "a@example.net", owner: aliceAgain, lookup: nil, now: now).lease
        let releasedWithConnection = registry.releaseAll(connection: alice.connection)
        #expect(releasedWithConnection == 1)
        #expect(registry.activePin(key, now: now) != nil)
        let released = registry.release(two.id, uid: 1000)
        #expect(released)
        #expect(registry.activePin(key, now: now) == nil)
        #expect(registry.lease(one.id, uid: 1000) == nil)
        #expect(throws: LeaseError.exhausted(domain: "example.net")) {
            try registry.acquire(key, email: "a@example.net", owner: alice, lookup: nil, now: now)
        }
    }

    @Test func aClosedConnectionReleasesOnlyItsOwnRemainingLeases() throws {
        var registry = LeaseRegistry()
        let first = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        let second = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: nil, now: now).lease
        let other = try registry.acquire(key, email: "a@example.net", owner: aliceAgain, lookup: nil, now: now).lease
        let releasedOne = registry.release(first.id, uid: 1000)
        let releasedWithConnection = registry.releaseAll(connection: alice.connection)
        #expect(releasedOne && releasedWithConnection == 1)
        #expect(registry.lease(second.id, uid: 1000) == nil)
        #expect(registry.lease(other.id, uid: 1000) != nil)
        let releasedAgain = registry.releaseAll(connection: alice.connection)
        #expect(releasedAgain == 0)
        #expect(registry.totalLeases == 1)
    }

    @Test func aUIDHasAtMostItsLeaseLimit() throws {
        var registry = LeaseRegistry(maxLeasesPerUID: 2)
        for _ in 0..<2 { _ = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now) }
        #expect(throws: LeaseError.tooManyLeases) {
            try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now)
        }
        let bobKey = PinKey(uid: 1001, domain: "example.net", want: "retrieval")
        #expect(throws: Never.self) { try registry.acquire(bobKey, email: "b@example.net", owner: bob, lookup: lookup, now: now) }
    }

    @Test func reportConnectedMarksTheLease() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.net", owner: alice, lookup: lookup, now: now).lease
        #expect(lease.state == .pending)
        #expect(try registry.reportConnected(lease.id, uid: 1000, now: now).state == .connected)
        #expect(registry.leases(of: 1000, now: now).first?.state == .connected)
    }
}
