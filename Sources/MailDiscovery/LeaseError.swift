/// Why a lease operation was refused.
public enum LeaseError: Error, Hashable, Sendable {
    case noSuchLease(String)
    case exhausted(domain: String)
    /// A per-uid limit (leases, or the bytes of its pins) was hit.
    case tooManyLeases
    /// A `Report` named a (host, port, address) that is not in its lease's pin order.
    case notInPinOrder(Destination)
}
