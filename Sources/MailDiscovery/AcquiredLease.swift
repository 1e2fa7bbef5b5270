/// What an `Acquire` gives: the lease, whether it is on a pin held already, its route and,
/// when asked, the alternatives.
public struct AcquiredLease: Sendable {
    public var lease: Lease
    public var reused: Bool
    /// The lease's tuple and its certificate names.
    public var route: Route
    public var alternatives: [Route]?
}
