/// Why an `Acquire` failed: the address or its lookup, or the leases.
public enum AcquireError: Error, Hashable, Sendable {
    case lookup(DiscoveryError)
    case lease(LeaseError)
}
