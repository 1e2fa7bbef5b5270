import Foundation
import Testing
@testable import MailDiscovery

/// The pins stay linear in what was learned and bounded per uid (issue 11, finding 2),
/// and a lease's `ttl` counts down (finding 6).
@Suite struct PinBoundsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let alice = LeaseOwner(uid: 1000, connection: 1)

    func key(_ domain: String, uid: UInt32 = 1000) -> PinKey { PinKey(uid: uid, domain: domain, want: "imaps") }

    /// `hosts` imaps endpoints of `domain`, each with `addresses` addresses, TTL `ttl`.
    func lookup(_ domain: String, hosts: Int = 1, addresses: Int, ttl: Int = 300) -> LookupResult {
        let candidates = (0..<hosts).map { host in
            Endpoint(service: .imaps, record: SRVRecord(priority: 0, weight: 0, port: 993, target: "h\(host).\(domain)"),
                     addresses: (0..<addresses).map { "2001:db8::\(String($0, radix: 16))" }, ttl: ttl,
                     srvDNSSEC: .insecure)
        }
        return LookupResult(domain: domain, candidates: candidates, dnssec: .insecure, source: .dns,
                            verifyNames: [domain])
    }

    func savedSize(_ registry: LeaseRegistry) throws -> Int {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pins-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try PinFile.save(registry.snapshot(now: now), to: file)
        return try Data(contentsOf: file).count
    }

    @Test func aPinKeepsEachEndpointOnceWithBoundedAddressesAndCandidates() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key("big.example"), email: "a@big.example", owner: alice,
                                         lookup: lookup("big.example", hosts: 40, addresses: 500), now: now).lease
        let pin = try #require(registry.activePin(key("big.example"), now: now))
        #expect(pin.endpoints.count == PinLimits().candidatesPerPin)
        #expect(pin.endpoints.allSatisfy { $0.addresses.count == PinLimits().addressesPerTarget })
        #expect(lease.tuple.endpoint.addresses.count == PinLimits().addressesPerTarget)
        // 32 endpoints of 16 addresses: about 30 KB, not 40 × 500 tuples each with 500 addresses.
        #expect(try savedSize(registry) < 40_000)
    }

    @Test func theFailureWalkCoversEveryKeptTupleInOrder() throws {
        var limits = PinLimits()
        limits.addressesPerTarget = 2
        limits.candidatesPerPin = 2
        var registry = LeaseRegistry(pinLimits: limits)
        let lease = try registry.acquire(key("walk.example"), email: "a@walk.example", owner: alice,
                                         lookup: lookup("walk.example", hosts: 3, addresses: 3), now: now).lease
        var walk = [lease.tuple.endpoint.host + " " + lease.tuple.address]
        for _ in 0..<3 {
            let moved = try registry.reportFailed(lease.id, uid: 1000, now: now)
            walk.append(moved.tuple.endpoint.host + " " + moved.tuple.address)
        }
        #expect(walk == ["h0.walk.example 2001:db8::0", "h0.walk.example 2001:db8::1",
                         "h1.walk.example 2001:db8::0", "h1.walk.example 2001:db8::1"])
        #expect(throws: LeaseError.exhausted(domain: "walk.example")) {
            try registry.reportFailed(lease.id, uid: 1000, now: now)
        }
    }

    @Test func theBytesOfOneUIDsPinsAreBoundedAndFreedWithThem() throws {
        var limits = PinLimits()
        limits.bytesPerUID = 20_000
        var registry = LeaseRegistry(pinLimits: limits)
        var held: [Lease] = []
        do {
            for n in 0..<100 {
                held.append(try registry.acquire(key("d\(n).example"), email: "a@d\(n).example", owner: alice,
                                                 lookup: lookup("d\(n).example", hosts: 4, addresses: 16), now: now).lease)
            }
            Issue.record("100 big pins fitted in 20,000 bytes")
        } catch {
            #expect(error == .tooManyLeases)
        }
        #expect(!held.isEmpty && held.count < 100)
        #expect(try savedSize(registry) < 40_000)
        // Another uid is not affected; a released pin makes room again.
        #expect(throws: Never.self) {
            try registry.acquire(key("d0.example", uid: 1001), email: "b@d0.example",
                                 owner: LeaseOwner(uid: 1001, connection: 2),
                                 lookup: lookup("d0.example", hosts: 4, addresses: 16), now: now)
        }
        registry.release(held[0].id, uid: 1000)
        #expect(throws: Never.self) {
            try registry.acquire(key("again.example"), email: "a@again.example", owner: alice,
                                 lookup: lookup("again.example", hosts: 4, addresses: 16), now: now)
        }
    }

    @Test func failureMarksOfOneUIDAreBounded() throws {
        var limits = PinLimits()
        limits.failureMarksPerUID = 10
        var registry = LeaseRegistry(pinLimits: limits)
        for n in 0..<50 {
            let lease = try registry.acquire(key("f\(n).example"), email: "a@f\(n).example", owner: alice,
                                             lookup: lookup("f\(n).example", addresses: 2), now: now + Double(n)).lease
            _ = try registry.reportFailed(lease.id, uid: 1000, now: now + Double(n))
            registry.release(lease.id, uid: 1000)
        }
        let marks = registry.snapshot(now: now).failures[1000] ?? [:]
        #expect(marks.count == 10)
        // The newest ones stay.
        #expect(marks.keys.contains(FailureTarget(host: "h0.f49.example", address: "2001:db8::0")))
    }

    @Test func aLeasesTTLIsTheSecondsLeftInEveryReply() throws {
        var registry = LeaseRegistry()
        let first = try registry.acquire(key("t.example"), email: "a@t.example", owner: alice,
                                         lookup: lookup("t.example", addresses: 2, ttl: 300), now: now).lease
        #expect(first.tuple.endpoint.ttl == 300)
        let reused = try registry.acquire(key("t.example"), email: "a@t.example", owner: alice, lookup: nil, now: now + 4)
        #expect(reused.reused)
        #expect(reused.lease.tuple.endpoint.ttl == 296)
        #expect(registry.leases(of: 1000, now: now + 4.5).map(\.tuple.endpoint.ttl).allSatisfy { $0 == 295 })
        #expect(try registry.reportConnected(first.id, uid: 1000, now: now + 10).tuple.endpoint.ttl == 290)
        #expect(try registry.reportFailed(first.id, uid: 1000, now: now + 300).tuple.endpoint.ttl == 0)
        #expect(registry.leases(of: 1000, now: now + 10_000).map(\.tuple.endpoint.ttl) == [0, 0])
    }

    @Test func restoreDropsPinsAndMarksTheRegistryNeverMakes() throws {
        var registry = LeaseRegistry()
        let lease = try registry.acquire(key("r.example"), email: "a@r.example", owner: alice,
                                         lookup: lookup("r.example", addresses: 2), now: now).lease
        _ = try registry.reportFailed(lease.id, uid: 1000, now: now)
        var snapshot = registry.snapshot(now: now)
        var broken = snapshot.pins[0]
        broken.key = key("broken.example")
        broken.current = TuplePosition(endpoint: 5, address: 0)
        snapshot.pins.append(broken)
        snapshot.failures[1000]?[FailureTarget(host: "x.example", address: "192.0.2.1")] = Date(timeIntervalSince1970: 1e19)

        var restored = LeaseRegistry()
        #expect(restored.restore(snapshot, now: now, grace: 120) == 2)
        #expect(restored.activePin(key("r.example"), now: now) != nil)
        #expect(restored.activePin(key("broken.example"), now: now) == nil)
        #expect(restored.snapshot(now: now).failures[1000]?.count == 1)
    }
}
