import FoundationEssentials

/// Pins, leases and failure marks of every uid (DESIGN.md §3). Pure state: time is passed
/// in and lookups happen outside; the daemon guards it with a lock.
public struct LeaseRegistry: Sendable {
    /// `FailureMemory`: how long a failed (host, address) is avoided for a uid.
    public var failureMemory: TimeInterval
    /// Most leases one uid may hold.
    public var maxLeasesPerUID: Int
    /// What one uid's pins may hold.
    public let pinLimits: PinLimits

    /// A pin and how many leases it has.
    private struct HeldPin {
        var pin: Pin
        var leases = 0
    }

    /// What the registry counts per uid.
    private struct User {
        var leases = 0
        /// The `stateBytes` of the uid's pins.
        var pinBytes = 0
        var failures: [FailureTarget: Date] = [:]
        var isEmpty: Bool { leases == 0 && pinBytes == 0 && failures.isEmpty }
    }

    private var pins: [PinKey: HeldPin] = [:]
    private var leases: [String: Lease] = [:]
    /// Lease ids by the connection that acquired them, so a closing connection does not
    /// scan every lease of the host.
    private var leasesOfConnection: [UInt64: Set<String>] = [:]
    private var users: [UInt32: User] = [:]

    public init(failureMemory: TimeInterval = 600, maxLeasesPerUID: Int = 1024, pinLimits: PinLimits = PinLimits()) {
        self.failureMemory = failureMemory
        self.maxLeasesPerUID = maxLeasesPerUID
        self.pinLimits = pinLimits
    }

    /// The pin `key` holds now (with leases, or restored and within its grace period).
    public func activePin(_ key: PinKey, now: Date) -> Pin? {
        guard let held = pins[key] else { return nil }
        if held.leases > 0 { return held.pin }
        if let grace = held.pin.graceUntil, now < grace { return held.pin }
        return nil
    }

    /// A new lease on the active pin of `key`, or, when there is none, on a new pin made
    /// from `lookup`'s candidates (first tuple not marked failed). `reused` tells which.
    /// The lease's endpoint `ttl` is the seconds left at `now`.
    public mutating func acquire(_ key: PinKey, email: String, owner: LeaseOwner, lookup: LookupResult?,
                                 now: Date) throws(LeaseError) -> (lease: Lease, reused: Bool) {
        guard users[key.uid, default: User()].leases < maxLeasesPerUID else { throw .tooManyLeases }
        let reused: Bool
        if activePin(key, now: now) != nil {
            reused = true
            pins[key]?.pin.graceUntil = nil    // from now on the pin lives by its leases
        } else {
            guard let lookup, let pin = Pin(key: key, lookup: lookup, limits: pinLimits, learnedAt: now,
                                            accept: { !isFailed($0, uid: key.uid, now: now) }) else {
                throw .exhausted(domain: key.domain)
            }
            removePin(key)
            guard users[key.uid, default: User()].pinBytes + pin.stateBytes <= pinLimits.bytesPerUID else {
                throw .tooManyLeases
            }
            insert(pin)
            reused = false
        }
        let pin = pins[key]!.pin
        let lease = Lease(id: Self.newLeaseID(), owner: owner, pin: key, email: email,
                          tuple: pin.tuple(at: pin.current), position: pin.current, state: .pending)
        leases[lease.id] = lease
        leasesOfConnection[owner.connection, default: []].insert(lease.id)
        users[key.uid, default: User()].leases += 1
        pins[key]!.leases += 1
        return (counted(lease, now: now), reused)
    }

    /// Records that the lease's connection works. With `destination` (a tuple of the
    /// lease's pin order, else `notInPinOrder`), the connection was made to that tuple: the
    /// lease and its pin move there, and a failure mark of its uid on it goes, so that the
    /// next `Acquire` of the uid goes there without DNS.
    public mutating func reportConnected(_ id: String, uid: UInt32, at destination: Destination? = nil,
                                         now: Date) throws(LeaseError) -> Lease {
        guard var lease = leases[id], lease.owner.uid == uid, var pin = pins[lease.pin]?.pin else { throw .noSuchLease(id) }
        if let destination {
            let position = try pin.position(at: destination)
            users[uid]?.failures[pin.tuple(at: position).target] = nil
            pin.current = position
            pins[pin.key]?.pin = pin
            lease.move(to: position, in: pin)
        }
        lease.state = .connected
        leases[id] = lease
        return counted(lease, now: now)
    }

    /// Marks a tuple failed for the lease's uid: the lease's own, or the one at
    /// `destination` (of the lease's pin order, else `notInPinOrder`). A pin whose tuple is
    /// now marked moves to the next tuple in order that is not; so does the lease, only
    /// when its own tuple is marked. When the lease has nowhere left to go it is released
    /// and `exhausted` is thrown.
    public mutating func reportFailed(_ id: String, uid: UInt32, at destination: Destination? = nil,
                                      now: Date) throws(LeaseError) -> Lease {
        guard var lease = leases[id], lease.owner.uid == uid, var pin = pins[lease.pin]?.pin else { throw .noSuchLease(id) }
        let failed = try destination.map { destination throws(LeaseError) in try pin.position(at: destination) } ?? lease.position
        mark(pin.tuple(at: failed).target, failedFor: uid, now: now)
        let leaseMoves = isFailed(lease.tuple, uid: uid, now: now)
        if isFailed(pin.tuple(at: pin.current), uid: uid, now: now) {
            if let next = usable(in: pin, after: pin.current, now: now, limit: 1).first {
                pin.current = next
            } else if leaseMoves {
                release(id, uid: uid)
                throw .exhausted(domain: pin.key.domain)
            } else {
                pin.current = lease.position
            }
            pins[pin.key]?.pin = pin
        }
        guard leaseMoves else { return counted(lease, now: now) }
        lease.move(to: pin.current, in: pin)
        lease.state = .pending
        leases[id] = lease
        return counted(lease, now: now)
    }

    /// The tuples of the lease's pin order after its own, without those its uid has marked
    /// failed, at most `limit`: what a client may try alongside (RFC 8305). Their `ttl` is
    /// the seconds left at `now`.
    public func alternatives(for lease: Lease, now: Date, limit: Int = 16) -> [Tuple] {
        guard let pin = pins[lease.pin]?.pin else { return [] }
        return usable(in: pin, after: lease.position, now: now, limit: limit).map { position in
            var tuple = pin.tuple(at: position)
            tuple.endpoint = tuple.endpoint.countedDown(from: pin.learnedAt, to: now)
            return tuple
        }
    }

    /// Forgets the failure marks of `uid` on every address of `host`.
    public mutating func clearFailures(uid: UInt32, host: String) {
        let kept = users[uid]?.failures.filter { $0.key.host != host } ?? [:]
        users[uid]?.failures = kept
        forgetIfEmpty(uid)
    }

    /// Ends a lease; the pin goes with its last lease. Returns false for an unknown lease or
    /// one of another uid.
    @discardableResult
    public mutating func release(_ id: String, uid: UInt32) -> Bool {
        guard let lease = leases[id], lease.owner.uid == uid else { return false }
        leases[id] = nil
        leasesOfConnection[lease.owner.connection]?.remove(id)
        if leasesOfConnection[lease.owner.connection]?.isEmpty == true { leasesOfConnection[lease.owner.connection] = nil }
        users[uid]?.leases -= 1
        pins[lease.pin]?.leases -= 1
        if pins[lease.pin]?.leases == 0 { removePin(lease.pin) }
        forgetIfEmpty(uid)
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

    /// The leases of `uid`, sorted by id for a stable listing, their `ttl` the seconds left at `now`.
    public func leases(of uid: UInt32, now: Date) -> [Lease] {
        leases.values.filter { $0.owner.uid == uid }.sorted { $0.id < $1.id }.map { counted($0, now: now) }
    }

    public func lease(_ id: String, uid: UInt32) -> Lease? {
        leases[id].flatMap { $0.owner.uid == uid ? $0 : nil }
    }

    /// Certificate names for the tuple of `lease`: its domain, and its endpoint's host when
    /// that SRV answer was secure.
    public func verifyNames(for lease: Lease) -> [String] {
        verifyNames(for: lease.tuple, of: lease.pin)
    }

    /// Certificate names for `tuple` of the pin `key` (one of its alternatives).
    public func verifyNames(for tuple: Tuple, of key: PinKey) -> [String] {
        certificateNames(domain: key.domain, endpoints: [tuple.endpoint])
    }

    public var totalLeases: Int { leases.count }

    /// Forgets failure marks that have expired and restored pins whose grace has passed.
    public mutating func prune(now: Date) {
        for uid in Array(users.keys) {
            let current = users[uid]?.failures.filter { $0.value > now } ?? [:]
            users[uid]?.failures = current
            forgetIfEmpty(uid)
        }
        for key in Array(pins.keys) where activePin(key, now: now) == nil {
            removePin(key)
        }
    }

    /// What survives a restart: the active pins and the failure marks. Leases do not:
    /// their connections end with the daemon.
    public struct Snapshot: Codable, Sendable {
        var pins: [Pin]
        var failures: [UInt32: [FailureTarget: Date]]

        /// The snapshot with every time converted by `convert` (to or from wall-clock time).
        public func converted(_ convert: (Date) -> Date) -> Snapshot {
            Snapshot(pins: pins.map { pin in
                var pin = pin
                pin.learnedAt = convert(pin.learnedAt)
                pin.graceUntil = pin.graceUntil.map(convert)
                return pin
            }, failures: failures.mapValues { $0.mapValues(convert) })
        }
    }

    public func snapshot(now: Date) -> Snapshot {
        Snapshot(pins: pins.keys.compactMap { activePin($0, now: now) },
                 failures: users.compactMapValues { $0.failures.isEmpty ? nil : $0.failures })
    }

    /// Takes back saved pins, each holding for `grace` seconds from `now` for its uid's
    /// re-`Acquire`s, and the failure marks that have not expired. What a file may hold but
    /// the registry never makes (a pin over `pinLimits` or its uid's bytes, a mark expiring
    /// later than `failureMemory` from now) is dropped; returns how many pins and marks went.
    @discardableResult
    public mutating func restore(_ snapshot: Snapshot, now: Date, grace: TimeInterval) -> Int {
        var dropped = 0
        for var pin in snapshot.pins where pins[pin.key] == nil {
            guard pin.isValid(under: pinLimits),
                  users[pin.key.uid, default: User()].pinBytes + pin.stateBytes <= pinLimits.bytesPerUID else {
                dropped += 1
                continue
            }
            pin.graceUntil = now.addingTimeInterval(grace)
            insert(pin)
        }
        let latest = now.addingTimeInterval(failureMemory)
        for (uid, marks) in snapshot.failures {
            for (target, until) in marks where until > now {
                guard until <= latest else {
                    dropped += 1
                    continue
                }
                mark(target, failedFor: uid, until: until)
            }
        }
        prune(now: now)
        return dropped
    }

    /// Number of pins held now, restored ones in their grace period included.
    public func activePins(now: Date) -> Int {
        pins.keys.count { activePin($0, now: now) != nil }
    }

    /// `lease` with its endpoint's `ttl` counted down to `now`.
    private func counted(_ lease: Lease, now: Date) -> Lease {
        guard let learnedAt = pins[lease.pin]?.pin.learnedAt else { return lease }
        var lease = lease
        lease.tuple.endpoint = lease.tuple.endpoint.countedDown(from: learnedAt, to: now)
        return lease
    }

    private mutating func insert(_ pin: Pin) {
        pins[pin.key] = HeldPin(pin: pin)
        users[pin.key.uid, default: User()].pinBytes += pin.stateBytes
    }

    private mutating func removePin(_ key: PinKey) {
        guard let held = pins.removeValue(forKey: key) else { return }
        users[key.uid]?.pinBytes -= held.pin.stateBytes
        forgetIfEmpty(key.uid)
    }

    private mutating func forgetIfEmpty(_ uid: UInt32) {
        if users[uid]?.isEmpty == true { users[uid] = nil }
    }

    private mutating func mark(_ target: FailureTarget, failedFor uid: UInt32, now: Date) {
        mark(target, failedFor: uid, until: now.addingTimeInterval(failureMemory))
    }

    /// Marks `target` failed for `uid`; at `failureMarksPerUID` marks, the one expiring
    /// first makes room.
    private mutating func mark(_ target: FailureTarget, failedFor uid: UInt32, until: Date) {
        var user = users[uid, default: User()]
        if user.failures[target] == nil, user.failures.count >= pinLimits.failureMarksPerUID,
           let soonest = user.failures.min(by: { $0.value < $1.value }) {
            user.failures[soonest.key] = nil
        }
        user.failures[target] = until
        users[uid] = user
    }

    /// The positions of `pin`'s order after `start` whose tuple its uid has not marked
    /// failed, at most `limit`.
    private func usable(in pin: Pin, after start: TuplePosition, now: Date, limit: Int) -> [TuplePosition] {
        pin.positions(after: start, where: { !isFailed($0, uid: pin.key.uid, now: now) }, limit: limit)
    }

    private func isFailed(_ tuple: Tuple, uid: UInt32, now: Date) -> Bool {
        guard let until = users[uid]?.failures[tuple.target] else { return false }
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
