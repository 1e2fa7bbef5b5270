/// Deadlines of the queries in flight, earliest first. Every query of one resolver gets
/// the same timeout, so deadlines arrive in order and a FIFO is a priority queue.
/// Finished queries stay until their deadline passes (failing them then is a no-op).
struct DeadlineQueue {
    private var entries: [(deadline: ContinuousClock.Instant, query: PendingQuery)] = []
    private var head = 0

    var isEmpty: Bool { head == entries.count }

    /// Appends `query` with deadline now + `timeout`; true if the queue was empty.
    mutating func append(_ query: PendingQuery, timeout: Duration) -> Bool {
        let wasEmpty = isEmpty
        entries.append((ContinuousClock.now + timeout, query))
        return wasEmpty
    }

    /// Milliseconds until the earliest deadline (rounded up), or -1 when empty.
    func millisecondsToNext(now: ContinuousClock.Instant = .now) -> Int32 {
        guard !isEmpty else { return -1 }
        let left = entries[head].deadline - now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }

    /// Removes and returns the queries whose deadline has passed.
    mutating func popExpired(now: ContinuousClock.Instant = .now) -> [PendingQuery] {
        var expired: [PendingQuery] = []
        while !isEmpty, entries[head].deadline <= now {
            expired.append(entries[head].query)
            head += 1
        }
        if head > 64 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        if isEmpty {
            entries.removeAll(keepingCapacity: true)
            head = 0
        }
        return expired
    }
}
