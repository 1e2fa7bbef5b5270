import Foundation
import Varlink

/// The soak's internal mode, run as uid 65534 by the soak itself.
enum Probes {
    /// Prints `latencies COUNT FAILURES P50 P99 MAX` (milliseconds) of cached Lookups on one
    /// connection, one every 10 ms for `seconds`; a failed call ends the loop. The exit status.
    /// A call may take 30 s before it counts as failed: in the first seconds of the flood a
    /// new connection's first reply took 7–10 s on a loaded machine before the daemon accepted its
    /// whole backlog per wakeup, and still waits out long event-loop turns (RELIABILITY.md §3a);
    /// the latencies, not this timeout, are the measure.
    static func latencies(socket: String, seconds: Double) -> Int32 {
        guard let client = try? VarlinkClient.connect(to: socket, timeout: .seconds(30)) else { say("connect failed"); return 1 }
        var latencies: [Double] = []
        var failures = 0
        let end = Date() + seconds
        while Date() < end {
            let began = ContinuousClock.now
            let failure = Lookups.wellFormed(client, 0)
            let elapsed = ContinuousClock.now - began
            latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            if failure != nil { failures += 1; break }
            usleep(10_000)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? .infinity : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        say(String(format: "latencies %d %d %.2f %.2f %.2f", latencies.count, failures, percentile(0.5), percentile(0.99),
                   latencies.last ?? .infinity))
        return 0
    }
}
