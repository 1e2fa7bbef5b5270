import FoundationEssentials

/// Who holds a lease: a local user (the peer uid of the socket) and the client connection
/// that acquired it, so that the lease dies with that connection.
public struct LeaseOwner: Hashable, Sendable {
    public var uid: UInt32
    public var connection: UInt64
    public init(uid: UInt32, connection: UInt64) {
        self.uid = uid
        self.connection = connection
    }
}

/// One (endpoint, address) to connect to.
public struct Tuple: Hashable, Codable, Sendable {
    public var endpoint: Endpoint
    public var address: String
    public init(endpoint: Endpoint, address: String) {
        self.endpoint = endpoint
        self.address = address
    }

    /// What a failure mark is about: the same server address, whatever the service.
    var target: FailureTarget { FailureTarget(host: endpoint.host, address: address) }

    /// How a client names this tuple in `Report`.
    public var destination: Destination {
        Destination(host: endpoint.host, port: endpoint.port, address: address)
    }
}

struct FailureTarget: Hashable, Codable, Sendable {
    var host: String
    var address: String
}

/// What all leases of one uid for one (domain, want) share (draft-hall §5).
public struct PinKey: Hashable, Codable, Sendable {
    public var uid: UInt32
    public var domain: String
    public var want: String
    public init(uid: UInt32, domain: String, want: String) {
        self.uid = uid
        self.domain = domain
        self.want = want
    }
}

/// A uid's pinned tuple for one (domain, want) and the ordered candidates it was chosen from.
public struct Pin: Hashable, Codable, Sendable {
    public var key: PinKey
    public var current: Tuple
    /// Every (endpoint, address) of the lookup that created the pin, in the order to try.
    public var order: [Tuple]
    /// Certificate names of the lookup (domain), for the verifyNames of each tuple.
    public var verifyNamesByHost: [String: [String]]
    /// Set on a pin restored after a restart: it holds without leases until then.
    public var graceUntil: Date?
}

extension Pin {
    /// The tuple of the order at `destination`; `notInPinOrder` when there is none.
    func tuple(at destination: Destination) throws(LeaseError) -> Tuple {
        guard let tuple = order.first(where: { $0.destination == destination }) else {
            throw .notInPinOrder(destination)
        }
        return tuple
    }
}

/// One client connection's claim on a tuple.
public struct Lease: Hashable, Sendable {
    public enum State: String, Codable, Sendable { case pending, connected }
    public var id: String
    public var owner: LeaseOwner
    public var pin: PinKey
    /// The email as given to Acquire (shown back to its own uid only).
    public var email: String
    public var tuple: Tuple
    public var state: State
}

/// Why a lease operation was refused.
public enum LeaseError: Error, Hashable, Sendable {
    case noSuchLease(String)
    case exhausted(domain: String)
    case tooManyLeases
    /// A `Report` named a (host, port, address) that is not in its lease's pin order.
    case notInPinOrder(Destination)
}

/// Pins, leases and failure marks of every uid (DESIGN.md §3). Pure state: time is passed
/// in and lookups happen outside; the daemon guards it with a lock.
public struct LeaseRegistry: Sendable {
    /// `FailureMemory`: how long a failed (host, address) is avoided for a uid.
    public var failureMemory: TimeInterval
    /// Most leases one uid may hold.
    public var maxLeasesPerUID: Int

    private var pins: [PinKey: Pin] = [:]
    private var leases: [String: Lease] = [:]
    /// Lease ids by the connection that acquired them, so a closing connection does not
    /// scan every lease of the host.
    private var leasesOfConnection: [UInt64: Set<String>] = [:]
    private var leaseCount: [UInt32: Int] = [:]
    private var leasesPerPin: [PinKey: Int] = [:]
    private var failures: [UInt32: [FailureTarget: Date]] = [:]

    public init(failureMemory: TimeInterval = 600, maxLeasesPerUID: Int = 1024) {
        self.failureMemory = failureMemory
        self.maxLeasesPerUID = maxLeasesPerUID
    }

    /// The pin `key` holds now (with leases, or restored and within its grace period).
    public func activePin(_ key: PinKey, now: Date) -> Pin? {
        guard let pin = pins[key] else { return nil }
        if hasLeases(key) { return pin }
        if let grace = pin.graceUntil, now < grace { return pin }
        return nil
    }

    /// A new lease on the active pin of `key`, or, when there is none, on a new pin made
    /// from `lookup`'s candidates (first tuple not marked failed). `reused` tells which.
    public mutating func acquire(_ key: PinKey, email: String, owner: LeaseOwner, lookup: LookupResult?,
                                 now: Date) throws(LeaseError) -> (lease: Lease, reused: Bool) {
        guard leaseCount[key.uid, default: 0] < maxLeasesPerUID else { throw .tooManyLeases }
        let reused: Bool
        if activePin(key, now: now) != nil {
            reused = true
            pins[key]?.graceUntil = nil    // from now on the pin lives by its leases
        } else {
            guard let lookup else { throw .exhausted(domain: key.domain) }
            let order = lookup.candidates.flatMap { endpoint in
                endpoint.addresses.map { Tuple(endpoint: endpoint, address: $0) }
            }
            guard let first = order.first(where: { !isFailed($0, uid: key.uid, now: now) }) else {
                throw .exhausted(domain: key.domain)
            }
            let names = Dictionary(lookup.candidates.map {
                ($0.host, certificateNames(domain: lookup.domain, endpoints: [$0]))
            }, uniquingKeysWith: { first, _ in first })
            pins[key] = Pin(key: key, current: first, order: order, verifyNamesByHost: names, graceUntil: nil)
            reused = false
        }
        let lease = Lease(id: Self.newLeaseID(), owner: owner, pin: key, email: email,
                          tuple: pins[key]!.current, state: .pending)
        leases[lease.id] = lease
        leasesOfConnection[owner.connection, default: []].insert(lease.id)
        leaseCount[key.uid, default: 0] += 1
        leasesPerPin[key, default: 0] += 1
        return (lease, reused)
    }

    /// Records that the lease's connection works. With `destination` (a tuple of the
    /// lease's pin order, else `notInPinOrder`), the connection was made to that tuple: the
    /// lease and its pin move there, and a failure mark of its uid on it goes, so that the
    /// next `Acquire` of the uid goes there without DNS.
    public mutating func reportConnected(_ id: String, uid: UInt32, at destination: Destination? = nil)
        throws(LeaseError) -> Lease {
        guard var lease = leases[id], lease.owner.uid == uid, var pin = pins[lease.pin] else { throw .noSuchLease(id) }
        if let destination {
            let tuple = try pin.tuple(at: destination)
            failures[uid]?[tuple.target] = nil
            pin.current = tuple
            pins[pin.key] = pin
            lease.tuple = tuple
        }
        lease.state = .connected
        leases[id] = lease
        return lease
    }

    /// Marks a tuple failed for the lease's uid: the lease's own, or the one at
    /// `destination` (of the lease's pin order, else `notInPinOrder`). A pin whose tuple is
    /// now marked moves to the next tuple in order that is not; so does the lease, only
    /// when its own tuple is marked. When the lease has nowhere left to go it is released
    /// and `exhausted` is thrown.
    public mutating func reportFailed(_ id: String, uid: UInt32, at destination: Destination? = nil,
                                      now: Date) throws(LeaseError) -> Lease {
        guard var lease = leases[id], lease.owner.uid == uid, var pin = pins[lease.pin] else { throw .noSuchLease(id) }
        let failed = try destination.map { destination throws(LeaseError) in try pin.tuple(at: destination) } ?? lease.tuple
        failures[uid, default: [:]][failed.target] = now.addingTimeInterval(failureMemory)
        let leaseMoves = isFailed(lease.tuple, uid: uid, now: now)
        if isFailed(pin.current, uid: uid, now: now) {
            if let next = usable(in: pin, after: pin.current, now: now).first {
                pin.current = next
            } else if leaseMoves {
                release(id, uid: uid)
                throw .exhausted(domain: pin.key.domain)
            } else {
                pin.current = lease.tuple
            }
            pins[pin.key] = pin
        }
        guard leaseMoves else { return lease }
        lease.tuple = pin.current
        lease.state = .pending
        leases[id] = lease
        return lease
    }

    /// The tuples of the lease's pin order after its own, without those its uid has marked
    /// failed, at most `limit`: what a client may try alongside (RFC 8305).
    public func alternatives(for lease: Lease, now: Date, limit: Int = 16) -> [Tuple] {
        guard let pin = pins[lease.pin] else { return [] }
        return Array(usable(in: pin, after: lease.tuple, now: now).prefix(limit))
    }

    /// Forgets the failure marks of `uid` on every address of `host`.
    public mutating func clearFailures(uid: UInt32, host: String) {
        failures[uid] = failures[uid]?.filter { $0.key.host != host }
        if failures[uid]?.isEmpty == true { failures[uid] = nil }
    }

    /// Ends a lease; the pin goes with its last lease. Returns false for an unknown lease or
    /// one of another uid.
    @discardableResult
    public mutating func release(_ id: String, uid: UInt32) -> Bool {
        guard let lease = leases[id], lease.owner.uid == uid else { return false }
        leases[id] = nil
        leasesOfConnection[lease.owner.connection]?.remove(id)
        if leasesOfConnection[lease.owner.connection]?.isEmpty == true { leasesOfConnection[lease.owner.connection] = nil }
        leaseCount[uid, default: 1] -= 1
        if leaseCount[uid] == 0 { leaseCount[uid] = nil }
        leasesPerPin[lease.pin, default: 1] -= 1
        if leasesPerPin[lease.pin] == 0 {
            leasesPerPin[lease.pin] = nil
            pins[lease.pin] = nil
        }
        return true
    }

    /// Ends every lease acquired on `connection`; returns how many.
    @discardableResult
    public mutating func releaseAll(connection: UInt64) -> Int {
        let ids = leasesOfConnection[connection] ?? []
        for id in ids {
            if let uid = leases[id]?.owner.uid { release(id, uid: uid) }
        }
        return ids.count
    }

    /// The leases of `uid`, sorted by id for a stable listing.
    public func leases(of uid: UInt32) -> [Lease] {
        leases.values.filter { $0.owner.uid == uid }.sorted { $0.id < $1.id }
    }

    public func lease(_ id: String, uid: UInt32) -> Lease? {
        leases[id].flatMap { $0.owner.uid == uid ? $0 : nil }
    }

    /// Certificate names for the tuple of `lease`.
    public func verifyNames(for lease: Lease) -> [String] {
        verifyNames(for: lease.tuple, of: lease.pin)
    }

    /// Certificate names for `tuple` of the pin `key` (one of its alternatives).
    public func verifyNames(for tuple: Tuple, of key: PinKey) -> [String] {
        pins[key]?.verifyNamesByHost[tuple.endpoint.host] ?? [key.domain]
    }

    public var totalLeases: Int { leases.count }

    /// Forgets failure marks that have expired and restored pins whose grace has passed.
    public mutating func prune(now: Date) {
        for uid in Array(failures.keys) {
            failures[uid] = failures[uid]?.filter { $0.value > now }
            if failures[uid]?.isEmpty == true { failures[uid] = nil }
        }
        for key in Array(pins.keys) where activePin(key, now: now) == nil {
            pins[key] = nil
        }
    }

    /// What survives a restart: the active pins and the failure marks. Leases do not:
    /// their connections end with the daemon.
    public struct Snapshot: Codable, Sendable {
        var pins: [Pin]
        var failures: [UInt32: [FailureTarget: Date]]
    }

    public func snapshot(now: Date) -> Snapshot {
        Snapshot(pins: pins.keys.compactMap { activePin($0, now: now) }, failures: failures)
    }

    /// Takes back saved pins, each holding for `grace` seconds from `now` for its uid's
    /// re-`Acquire`s, and the failure marks that have not expired.
    public mutating func restore(_ snapshot: Snapshot, now: Date, grace: TimeInterval) {
        for var pin in snapshot.pins where pins[pin.key] == nil {
            pin.graceUntil = now.addingTimeInterval(grace)
            pins[pin.key] = pin
        }
        for (uid, marks) in snapshot.failures {
            failures[uid, default: [:]].merge(marks.filter { $0.value > now }) { current, _ in current }
        }
        prune(now: now)
    }

    /// Number of pins held now, restored ones in their grace period included.
    public func activePins(now: Date) -> Int {
        pins.keys.count { activePin($0, now: now) != nil }
    }

    private func hasLeases(_ key: PinKey) -> Bool {
        leasesPerPin[key, default: 0] > 0
    }

    /// The tuples of `pin`'s order after `tuple` (all of them when it is not in the order)
    /// that its uid has not marked failed.
    private func usable(in pin: Pin, after tuple: Tuple, now: Date) -> [Tuple] {
        let start = pin.order.firstIndex(of: tuple).map { $0 + 1 } ?? 0
        return pin.order[start...].filter { !isFailed($0, uid: pin.key.uid, now: now) }
    }

    private func isFailed(_ tuple: Tuple, uid: UInt32, now: Date) -> Bool {
        guard let until = failures[uid]?[tuple.target] else { return false }
        return now < until
    }

    /// 128 random bits from the system's cryptographic generator, in hex.
    private static func newLeaseID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let word = String(generator.next(), radix: 16)
            return String(repeating: "0", count: 16 - word.count) + word
        }.joined()
    }
}

/// The pins on disk (a `JSONFile`).
public enum PinFile {
    static let version = 1

    public static func save(_ snapshot: LeaseRegistry.Snapshot, to url: URL) throws {
        try JSONFile.save(snapshot, version: version, to: url)
    }

    public static func load(from url: URL) throws -> LeaseRegistry.Snapshot {
        try JSONFile.load(LeaseRegistry.Snapshot.self, version: version, from: url)
    }
}
