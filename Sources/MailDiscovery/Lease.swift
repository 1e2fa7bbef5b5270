/// One client connection's claim on a tuple.
public struct Lease: Hashable, Sendable {
    public enum State: String, Codable, Sendable { case pending, connected }
    /// What a `Report` says of the lease's connection.
    public enum Outcome: String, Sendable { case connected, failed }
    public var id: String
    public var owner: LeaseOwner
    public var pin: PinKey
    /// The email as given to Acquire (shown back to its own uid only).
    public var email: String
    public var tuple: Tuple
    /// Where `tuple` sits in its pin's order.
    var position: TuplePosition
    public var state: State

    /// Points the lease at the tuple at `position` of `pin`.
    mutating func move(to position: TuplePosition, in pin: Pin) {
        self.position = position
        tuple = pin.tuple(at: position)
    }
}
