import Glibc

/// What one load run does.
struct LoadPlan: Sendable {
    var socketPath: String
    var connections: Int
    /// Stop after this many seconds…
    var seconds: Double
    /// …or after this many calls in all, whichever comes first.
    var maxCalls: Int
    /// The calls, already framed (JSON + NUL); connection `i` starts at call `i` and
    /// goes round the list.
    var calls: [[UInt8]]
    /// Send every call of `calls` exactly once, split among the connections (to fill a
    /// cache or to time cold lookups), instead of running for `seconds`.
    var eachOnce = false
}

/// The outcome of one connection, or of all of them merged.
struct LoadOutcome {
    var latencies = Latencies()
    var errors = 0
    var failure: String?
}

/// A closed-loop load generator: every connection sends one call, waits for its reply,
/// and sends the next, timing each round trip.
enum LoadGenerator {
    static func run(_ plan: LoadPlan) -> (outcome: LoadOutcome, elapsedSeconds: Double) {
        let startedAt = monotonicNanoseconds()
        let deadline = startedAt + UInt64(plan.seconds * 1e9)
        let perConnection = max(1, plan.maxCalls / plan.connections)
        let results = onThreads(plan.connections) { index in
            connectionLoop(plan, index: index, deadline: deadline, maxCalls: perConnection)
        }
        let elapsed = Double(monotonicNanoseconds() - startedAt) / 1e9
        var merged = LoadOutcome()
        for result in results {
            merged.latencies.merge(result.latencies)
            merged.errors += result.errors
            merged.failure = merged.failure ?? result.failure
        }
        return (merged, elapsed)
    }

    /// The calls connection `index` sends: all of them round-robin, or its share once.
    private static func schedule(_ plan: LoadPlan, index: Int) -> [Int] {
        guard plan.eachOnce else { return [] }
        return Array(stride(from: index, to: plan.calls.count, by: plan.connections))
    }

    private static func connectionLoop(_ plan: LoadPlan, index: Int, deadline: UInt64, maxCalls: Int) -> LoadOutcome {
        var outcome = LoadOutcome()
        let socket: BenchSocket
        do {
            socket = try BenchSocket.connect(to: plan.socketPath)
        } catch {
            outcome.failure = "\(error)"
            return outcome
        }
        defer { socket.close() }
        var reader = MessageReader()
        defer { reader.deallocate() }
        let once = schedule(plan, index: index)
        let limit = plan.eachOnce ? once.count : maxCalls
        outcome.latencies = Latencies(reservingCapacity: min(limit, 1 << 20))
        var next = index % plan.calls.count
        var sent = 0
        while sent < limit, plan.eachOnce || monotonicNanoseconds() < deadline {
            let call = plan.eachOnce ? plan.calls[once[sent]] : plan.calls[next]
            next = (next + 1) % plan.calls.count
            let before = monotonicNanoseconds()
            do {
                try socket.sendAll(call)
                let reply = try reader.next(from: socket)
                if reply.isError { outcome.errors += 1 }
            } catch {
                outcome.failure = "\(error)"
                return outcome
            }
            outcome.latencies.record(monotonicNanoseconds() - before)
            sent += 1
        }
        return outcome
    }
}

/// Framed Varlink `Lookup` calls for `emails`.
func lookupCalls(_ emails: [String], want: String?) -> [[UInt8]] {
    emails.map { email in
        var parameters = "{\"email\":\"\(email)\""
        if let want { parameters += ",\"want\":\"\(want)\"" }
        parameters += "}"
        return Array("{\"method\":\"io.mailsrvd.Discovery.Lookup\",\"parameters\":\(parameters)}".utf8) + [0]
    }
}
