import FoundationEssentials
import Synchronization

/// What each local user holds of the daemon (DESIGN.md §3, CLIENTS.md §2): its leases,
/// pins and failure marks (``LeaseRegistry``) and the hosts it has confirmed
/// (``TrustStore``), with the order of an `Acquire` (a held pin answers without DNS,
/// otherwise look up first). Every call acts for one uid. Thread-safe; time comes from
/// the ``TimeSource`` given; the daemon's Varlink adapter only parses, calls this and encodes.
public final class LeaseBook: Sendable {
    /// The lookups of an `Acquire` that holds no pin.
    public let discovery: Discovery
    private let registry: Mutex<LeaseRegistry>
    private let trust: Mutex<TrustStore>
    /// Writes the confirmations; called after each change, one call at a time.
    private let saveTrust: @Sendable (TrustStore) -> Void
    /// Held while a change of the confirmations is made and saved, so that saves happen in
    /// the order of the changes, without holding up the readers of `trust`.
    private let trustChanges = Mutex(())
    private let time: any TimeSource

    public init(discovery: Discovery, registry: LeaseRegistry = LeaseRegistry(), trust: TrustStore = TrustStore(),
                saveTrust: @escaping @Sendable (TrustStore) -> Void = { _ in }, time: any TimeSource = SystemTime()) {
        self.discovery = discovery
        self.registry = Mutex(registry)
        self.trust = Mutex(trust)
        self.saveTrust = saveTrust
        self.time = time
    }

    // MARK: Leases

    /// A lease for `owner` on a server of `email`'s domain for `want`: on the pin its uid
    /// holds for (domain, want) without DNS, else on a new pin made from a lookup. With
    /// `alternatives`, the rest of the pin's order that the uid has not marked failed.
    public func acquire(email: String, want: Want, clientHost: String?, alternatives: Bool,
                        owner: LeaseOwner) async throws(AcquireError) -> AcquiredLease {
        let address: MailAddress
        do {
            address = try Discovery.address(email)
        } catch {
            throw .lookup(error)
        }
        let key = PinKey(uid: owner.uid, domain: address.domain, want: want.name)
        // A held pin answers without DNS; otherwise look up first, outside the lock.
        var lookup: LookupResult?
        if registry.withLock({ $0.activePin(key, now: time.now()) }) == nil {
            do {
                lookup = try await discovery.lookup(address, want: want, clientHost: clientHost)
            } catch {
                throw .lookup(error)
            }
        }
        let now = time.now()
        let taken: (lease: Lease, reused: Bool, route: Route, alternatives: [Route]?)
        do {
            taken = try registry.withLock { registry throws(LeaseError) in
                let (lease, reused) = try registry.acquire(key, email: email, owner: owner, lookup: lookup, now: now)
                return (lease, reused, Route(tuple: lease.tuple, verifyNames: registry.verifyNames(for: lease)),
                        alternatives ? registry.alternatives(for: lease, now: now).map {
                            Route(tuple: $0, verifyNames: registry.verifyNames(for: $0, of: key))
                        } : nil)
            }
        } catch {
            throw .lease(error)
        }
        // The uid's confirmations are added outside the registry's lock.
        return AcquiredLease(lease: taken.lease, reused: taken.reused, route: confirmed(taken.route, of: key),
                             alternatives: taken.alternatives?.map { confirmed($0, of: key) })
    }

    /// Records how the lease's connection went (``LeaseRegistry/reportConnected(_:uid:at:now:)``,
    /// ``LeaseRegistry/reportFailed(_:uid:at:now:)``); returns where the lease points now.
    public func report(_ id: String, _ outcome: Lease.Outcome, at destination: Destination?,
                       uid: UInt32) throws(LeaseError) -> Route {
        let now = time.now()
        let route = try registry.withLock { registry throws(LeaseError) in
            let lease = switch outcome {
            case .connected: try registry.reportConnected(id, uid: uid, at: destination, now: now)
            case .failed: try registry.reportFailed(id, uid: uid, at: destination, now: now)
            }
            return (Route(tuple: lease.tuple, verifyNames: registry.verifyNames(for: lease)), lease.pin)
        }
        return confirmed(route.0, of: route.1)
    }

    /// Ends a lease of `uid`; false for an unknown lease or one of another uid.
    public func release(_ id: String, uid: UInt32) -> Bool {
        registry.withLock { $0.release(id, uid: uid) }
    }

    /// Ends every lease acquired on `connection`; returns how many.
    public func releaseAll(connection: UInt64) -> Int {
        registry.withLock { $0.releaseAll(connection: connection) }
    }

    /// The leases of `uid`, sorted by id, their `ttl` the seconds left now.
    public func leases(of uid: UInt32) -> [Lease] {
        let now = time.now()
        return registry.withLock { $0.leases(of: uid, now: now) }
    }

    /// Leases of every uid together.
    public var totalLeases: Int { registry.withLock { $0.totalLeases } }

    /// New limits (a reload); leases and pins held now stay.
    public func update(failureMemory: TimeInterval, maxLeasesPerUID: Int) {
        registry.withLock { registry in
            registry.failureMemory = failureMemory
            registry.maxLeasesPerUID = maxLeasesPerUID
        }
    }

    // MARK: Confirmations

    /// `uid` accepts `target.host` as a server of `target.domain`; its failure marks on the
    /// host go, so that the next connection tries it at once. False when it was confirmed
    /// already.
    public func trust(_ target: TrustedTarget, uid: UInt32) throws(TrustStoreFull) -> Bool {
        let added = try changeTrust { store throws(TrustStoreFull) in try store.trust(target, uid: uid) }
        registry.withLock { $0.clearFailures(uid: uid, host: target.host) }
        return added
    }

    /// Withdraws a confirmation of `uid`; false when there was none.
    public func untrust(_ target: TrustedTarget, uid: UInt32) -> Bool {
        changeTrust { store in store.untrust(target, uid: uid) }
    }

    /// The confirmations of `uid`, sorted by domain, then host.
    public func trusted(by uid: UInt32) -> [TrustedTarget] {
        trust.withLock { $0.targets(of: uid) }
    }

    /// `result` as `uid` is told it: its `verifyNames` gain the candidates' hosts that
    /// `uid` has confirmed for its domain.
    public func confirmed(_ result: LookupResult, uid: UInt32) -> LookupResult {
        var result = result
        result.verifyNames = trust.withLock {
            $0.verifyNames(result.verifyNames, uid: uid, domain: result.domain, hosts: result.candidates.map(\.host))
        }
        return result
    }

    /// `route` of the pin `key`: its names gain its host if the pin's uid has confirmed it.
    private func confirmed(_ route: Route, of key: PinKey) -> Route {
        var route = route
        route.verifyNames = trust.withLock {
            $0.verifyNames(route.verifyNames, uid: key.uid, domain: key.domain, hosts: [route.tuple.endpoint.host])
        }
        return route
    }

    /// Changes the confirmations and, when `body` says it changed them, saves them.
    private func changeTrust<Failure: Error>(_ body: (inout TrustStore) throws(Failure) -> Bool) throws(Failure) -> Bool {
        try trustChanges.withLock { _ throws(Failure) in
            let (changed, store) = try trust.withLock { store throws(Failure) in (try body(&store), store) }
            if changed { saveTrust(store) }
            return changed
        }
    }

    // MARK: What survives a restart

    /// The active pins and failure marks now, for the pin file (times on this book's clock).
    public func snapshot() -> LeaseRegistry.Snapshot {
        let now = time.now()
        return registry.withLock { $0.snapshot(now: now) }
    }

    /// Takes back saved pins (each holding for `grace` seconds for its uid's re-`Acquire`s)
    /// and failure marks; returns how many pins are held now and how many pins and marks
    /// over the limits were dropped.
    public func restore(_ snapshot: LeaseRegistry.Snapshot, grace: TimeInterval) -> (pins: Int, dropped: Int) {
        let now = time.now()
        return registry.withLock { registry in
            let dropped = registry.restore(snapshot, now: now, grace: grace)
            return (registry.activePins(now: now), dropped)
        }
    }

    /// Forgets expired failure marks and restored pins whose grace has passed.
    public func prune() {
        let now = time.now()
        registry.withLock { $0.prune(now: now) }
    }
}
