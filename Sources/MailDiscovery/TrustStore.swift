/// The targets each uid has confirmed (CLIENTS.md §2), each uid seeing only its own, at
/// most ``maxPerUID`` of them. Pure state: the daemon guards it with a lock and saves it
/// (``TrustFile``) on every change.
public struct TrustStore: Sendable {
    /// How many confirmations one uid may keep.
    public static let maxPerUID = 256

    private var trusted: [UInt32: Set<TrustedTarget>] = [:]

    public init() {}

    /// Adds a confirmation of `uid`; false when it was there already. `full` when the uid
    /// has ``maxPerUID`` others.
    public mutating func trust(_ target: TrustedTarget, uid: UInt32) throws(TrustStoreFull) -> Bool {
        if trusted[uid]?.contains(target) == true { return false }
        guard trusted[uid, default: []].count < Self.maxPerUID else { throw TrustStoreFull() }
        trusted[uid, default: []].insert(target)
        return true
    }

    /// Withdraws a confirmation of `uid`; false when there was none.
    public mutating func untrust(_ target: TrustedTarget, uid: UInt32) -> Bool {
        guard trusted[uid]?.remove(target) != nil else { return false }
        if trusted[uid]?.isEmpty == true { trusted[uid] = nil }
        return true
    }

    /// The confirmations of `uid`, sorted by domain, then host.
    public func targets(of uid: UInt32) -> [TrustedTarget] {
        (trusted[uid] ?? []).sorted()
    }

    /// `names` (a reply's `verifyNames`) and, after them, each of `hosts` that `uid` has
    /// confirmed for `domain`, each name once.
    public func verifyNames(_ names: [String], uid: UInt32, domain: String, hosts: some Sequence<String>) -> [String] {
        guard let confirmed = trusted[uid] else { return names }
        var result = names
        for host in hosts where !result.contains(host) && confirmed.contains(TrustedTarget(checked: domain, host)) {
            result.append(host)
        }
        return result
    }

    /// What is saved: every uid's confirmations.
    public var snapshot: [UInt32: [TrustedTarget]] {
        trusted.mapValues { $0.sorted() }
    }

    /// The store of a saved snapshot: entries whose names are not in their stored form are
    /// dropped, and each uid keeps at most ``maxPerUID`` (the first in sorted order).
    public init(restoring snapshot: [UInt32: [TrustedTarget]]) {
        for (uid, targets) in snapshot {
            let kept = Set(targets.filter(\.isNormalized)).sorted().prefix(Self.maxPerUID)
            if !kept.isEmpty { trusted[uid] = Set(kept) }
        }
    }
}

/// A uid already has ``TrustStore/maxPerUID`` confirmations.
public struct TrustStoreFull: Error, Hashable, Sendable {}

extension TrustedTarget {
    /// Names known to be in their stored form already (compared, never stored as given).
    fileprivate init(checked domain: String, _ host: String) {
        self.domain = domain
        self.host = host
    }
}
