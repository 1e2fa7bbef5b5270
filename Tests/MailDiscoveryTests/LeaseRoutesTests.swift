import Foundation
import Testing
@testable import MailDiscovery

/// Racing candidates (RFC 8305): a lease's alternatives, and reports on a tuple other than
/// the lease's own (`Destination`).
@Suite struct LeaseRoutesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let alice = LeaseOwner(uid: 1000, connection: 1)
    let aliceAgain = LeaseOwner(uid: 1000, connection: 2)
    var key: PinKey { PinKey(uid: 1000, domain: "example.org", want: "imap-group") }

    /// imaps on m1 (three addresses), imaps on m2 (one), imap on m1 (one address of its own).
    let lookup: LookupResult = {
        func endpoint(_ service: MailService, _ host: String, _ port: UInt16, _ addresses: [String]) -> Endpoint {
            Endpoint(service: service, record: SRVRecord(priority: 0, weight: 0, port: port, target: host),
                     addresses: addresses, ttl: 300, srvDNSSEC: .insecure)
        }
        return LookupResult(domain: "example.org", candidates: [
            endpoint(.imaps, "m1.example.org", 993, ["2001:db8::1", "192.0.2.1", "2001:db8::2"]),
            endpoint(.imaps, "m2.example.org", 993, ["192.0.2.2"]),
            endpoint(.imap, "m1.example.org", 143, ["192.0.2.9"]),
        ], dnssec: .insecure, source: .dns, verifyNames: ["example.org"])
    }()

    func places(_ tuples: [Tuple]) -> [String] { tuples.map { "\($0.endpoint.host):\($0.endpoint.port) \($0.address)" } }
    func place(_ lease: Lease) -> String { places([lease.tuple])[0] }

    @Test func alternativesAreTheRestOfTheOrderWithoutFailedTuplesAndBounded() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        #expect(place(lease) == "m1.example.org:993 2001:db8::1")
        #expect(places(registry.alternatives(for: lease, now: now)) == [
            "m1.example.org:993 192.0.2.1", "m1.example.org:993 2001:db8::2",
            "m2.example.org:993 192.0.2.2", "m1.example.org:143 192.0.2.9",
        ])
        #expect(places(registry.alternatives(for: lease, now: now, limit: 2)) == [
            "m1.example.org:993 192.0.2.1", "m1.example.org:993 2001:db8::2",
        ])
        _ = try registry.reportFailed(lease.id, uid: 1000, at: Destination(host: "m2.example.org", port: 993, address: "192.0.2.2"), now: now)
        #expect(places(registry.alternatives(for: lease, now: now)) == [
            "m1.example.org:993 192.0.2.1", "m1.example.org:993 2001:db8::2", "m1.example.org:143 192.0.2.9",
        ])
        #expect(places(registry.alternatives(for: lease, now: now + 600)).count == 4, "the mark has expired")
    }

    @Test func failedOnAnotherTupleMarksItWithoutMovingTheLease() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        let reported = try registry.reportFailed(
            lease.id, uid: 1000, at: Destination(host: "m1.example.org", port: 993, address: "192.0.2.1"), now: now)
        #expect(reported.tuple == lease.tuple)
        #expect(registry.activePin(key, now: now)?.currentTuple == lease.tuple)
        // The mark counts: the lease's own failure now skips that address.
        let moved = try registry.reportFailed(lease.id, uid: 1000, now: now)
        #expect(place(moved) == "m1.example.org:993 2001:db8::2")
    }

    @Test func failedOnTheLeasesOwnTupleMovesItAsAPlainReportDoes() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        let moved = try registry.reportFailed(lease.id, uid: 1000, at: lease.tuple.destination, now: now)
        #expect(place(moved) == "m1.example.org:993 192.0.2.1")
        #expect(moved.state == .pending)
        #expect(registry.activePin(key, now: now)?.currentTuple == moved.tuple)
    }

    @Test func aTupleOutsideThePinOrderIsRefusedAndMarksNothing() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        for outside in [Destination(host: "m9.example.org", port: 993, address: "192.0.2.1"),
                        Destination(host: "m1.example.org", port: 995, address: "192.0.2.1"),
                        Destination(host: "m1.example.org", port: 993, address: "192.0.2.99")] {
            #expect(throws: LeaseError.notInPinOrder(outside)) {
                try registry.reportFailed(lease.id, uid: 1000, at: outside, now: now)
            }
            #expect(throws: LeaseError.notInPinOrder(outside)) {
                try registry.reportConnected(lease.id, uid: 1000, at: outside, now: now)
            }
        }
        #expect(registry.alternatives(for: lease, now: now).count == 4)
        #expect(registry.lease(lease.id, uid: 1000)?.tuple == lease.tuple)
    }

    @Test func connectedOnAnotherTupleMovesTheLeaseAndThePinAndClearsItsMark() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        let m2 = Destination(host: "m2.example.org", port: 993, address: "192.0.2.2")
        _ = try registry.reportFailed(lease.id, uid: 1000, at: m2, now: now)
        let connected = try registry.reportConnected(lease.id, uid: 1000, at: m2, now: now)
        #expect(place(connected) == "m2.example.org:993 192.0.2.2")
        #expect(connected.state == .connected)
        let next = try registry.acquire(key, email: "a@example.org", owner: aliceAgain, lookup: nil, now: now)
        #expect(next.reused)
        #expect(place(next.lease) == "m2.example.org:993 192.0.2.2", "the uid's next tunnel goes there")
        #expect(places(registry.alternatives(for: next.lease, now: now)) == ["m1.example.org:143 192.0.2.9"])
    }

    @Test func failedOnThePinsTupleMovesThePinButNotAnotherLease() throws {
        var registry = LeaseRegistry()
        let first = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        let m2 = Destination(host: "m2.example.org", port: 993, address: "192.0.2.2")
        _ = try registry.reportConnected(first.id, uid: 1000, at: m2, now: now)
        // The first lease is at m2 (so is the pin); a second lease reports m2 failed by name.
        let second = try registry.acquire(key, email: "a@example.org", owner: aliceAgain, lookup: nil, now: now).lease
        _ = try registry.reportConnected(second.id, uid: 1000, at: Destination(host: "m1.example.org", port: 993, address: "192.0.2.1"), now: now)
        let reported = try registry.reportFailed(first.id, uid: 1000, at: Destination(host: "m1.example.org", port: 993, address: "192.0.2.1"), now: now)
        #expect(place(reported) == "m2.example.org:993 192.0.2.2", "the reporting lease stays")
        #expect(reported.state == .connected)
        #expect(places([try #require(registry.activePin(key, now: now)).currentTuple]) == ["m1.example.org:993 2001:db8::2"],
                "the pin leaves the marked tuple for the next in order")
        #expect(place(try #require(registry.lease(second.id, uid: 1000))) == "m1.example.org:993 192.0.2.1",
                "another lease is not moved by a report that is not its own")
    }

    @Test func whenTheLeasesOwnTupleHasNothingAfterItTheLeaseIsExhausted() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        let last = Destination(host: "m1.example.org", port: 143, address: "192.0.2.9")
        _ = try registry.reportConnected(lease.id, uid: 1000, at: last, now: now)
        #expect(registry.alternatives(for: try #require(registry.lease(lease.id, uid: 1000)), now: now).isEmpty)
        #expect(throws: LeaseError.exhausted(domain: "example.org")) {
            try registry.reportFailed(lease.id, uid: 1000, at: last, now: now)
        }
        #expect(registry.lease(lease.id, uid: 1000) == nil)
    }

    @Test func anotherUIDCannotReportOnALeaseByDestination() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key, email: "a@example.org", owner: alice, lookup: lookup, now: now).lease
        #expect(throws: LeaseError.noSuchLease(lease.id)) {
            try registry.reportConnected(lease.id, uid: 1001, at: lease.tuple.destination, now: now)
        }
        #expect(throws: LeaseError.noSuchLease(lease.id)) {
            try registry.reportFailed(lease.id, uid: 1001, at: lease.tuple.destination, now: now)
        }
    }
}
