import Synchronization

/// What the clients of a phase count, and the flag that ends them.
final class Counters: Sendable {
    struct State {
        var calls = 0, failures: [String] = [], maxLatency = 0.0
        var garbageConnections = 0, garbageClosedByDaemon = 0
        var slowCalls = 0, slowFailures: [String] = []
        var opened = 0, refused = false, refusedWith = ""
        var neverReaderBytesSent = 0
        var connected = 0
    }
    let state = Mutex(State())
    let stop = Atomic<Bool>(false)
    /// Phase 1: the daemon's peak RSS (KiB) and fds, sampled.
    let peaks = Mutex((0, 0))
}
