import Foundation

/// How the tests start children: one at a time, and with no signal blocked.
public enum Spawning {
    private static let lock = NSRecursiveLock()

    /// Runs `body`, which makes a child's pipes and starts it, while no other child is
    /// being started.
    ///
    /// Foundation's `Process` learns that a child exited when the child's end of a socket
    /// pair closes, and the child closes the descriptors its parent had when the spawn
    /// began. A pipe or socket pair made by another thread in between is inherited and
    /// held open by this child for as long as it lives: the other child's exit, or the end
    /// of its output, is then never seen (a `kdig` that had exited was waited for while a
    /// `knotd` started beside it held its socket, and the test process hung).
    public static func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

extension Process {
    /// Starts the process (see ``Spawning/exclusively(_:)``) with no signal blocked, as
    /// systemd or a shell would.
    ///
    /// Tests run on the threads of the Swift concurrency pool, which block most signals,
    /// and a child inherits the blocked set of the thread that starts it, across `exec`.
    /// A server that does not unblock them itself (Dovecot, a Python script) then never
    /// sees SIGTERM: each stop of one waited for its SIGKILL deadline. So the calling
    /// thread's mask is cleared for the moment of the spawn and put back at once.
    public func runWithSignalsUnblocked() throws {
        try Spawning.exclusively {
            var none = sigset_t(), saved = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, &saved)
            defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
            try run()
        }
    }
}
