import Synchronization

/// Per-uid counts of open connections and calls in flight, and their limits
/// (DESIGN.md §5): one user cannot take the daemon away from the others.
public final class UserLimits: Sendable {
    private struct Counts {
        var maxConnections: Int
        var maxCallsInFlight: Int
        let maxTotalConnections: Int
        var connections: [UInt32: Int] = [:]
        var calls: [UInt32: Int] = [:]
        var totalConnections = 0
    }

    private let counts: Mutex<Counts>

    /// - Parameter maxTotalConnections: connections of all uids together (``DescriptorBudget``).
    public init(maxConnections: Int, maxCallsInFlight: Int, maxTotalConnections: Int = .max) {
        counts = Mutex(Counts(maxConnections: maxConnections, maxCallsInFlight: maxCallsInFlight,
                              maxTotalConnections: maxTotalConnections))
    }

    /// New limits (a config reload); what is open now stays open.
    public func update(maxConnections: Int, maxCallsInFlight: Int) {
        counts.withLock {
            $0.maxConnections = maxConnections
            $0.maxCallsInFlight = maxCallsInFlight
        }
    }

    /// Counts a new connection of `uid`; false (and nothing counted) when it has too many,
    /// or all uids together have.
    public func openConnection(uid: UInt32) -> Bool {
        counts.withLock { counts in
            guard counts.connections[uid, default: 0] < counts.maxConnections,
                  counts.totalConnections < counts.maxTotalConnections else { return false }
            counts.connections[uid, default: 0] += 1
            counts.totalConnections += 1
            return true
        }
    }

    public func closeConnection(uid: UInt32) {
        counts.withLock { counts in
            Self.decrement(&counts.connections, uid)
            counts.totalConnections -= 1
        }
    }

    /// Counts a call of `uid` starting; false (and nothing counted) when it has too many running.
    public func beginCall(uid: UInt32) -> Bool {
        counts.withLock { counts in
            guard counts.calls[uid, default: 0] < counts.maxCallsInFlight else { return false }
            counts.calls[uid, default: 0] += 1
            return true
        }
    }

    public func endCall(uid: UInt32) {
        counts.withLock { Self.decrement(&$0.calls, uid) }
    }

    public var totalConnections: Int { counts.withLock { $0.totalConnections } }

    /// Calls running now, all users together.
    public var callsInFlight: Int { counts.withLock { $0.calls.values.reduce(0, +) } }

    private static func decrement(_ table: inout [UInt32: Int], _ uid: UInt32) {
        let left = table[uid, default: 1] - 1
        table[uid] = left > 0 ? left : nil
    }
}

extension UserLimits {
    /// Waits until no call is running, or `limit` has passed.
    func waitForCallsToFinish(atMost limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while callsInFlight > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
