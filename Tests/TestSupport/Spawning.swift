import Foundation

extension Process {
    /// Makes the pipes `attach` hooks up to the process and starts it, with no signal
    /// blocked, while no other child of the tests is being started. Returns what `attach`
    /// returned (its pipes).
    ///
    /// One at a time: Foundation's `Process` learns that a child exited when the child's
    /// end of a socket pair closes, and the child closes the descriptors its parent had
    /// when the spawn began. A pipe or socket pair made by another thread in between was
    /// inherited and held open by this child for as long as it lived: the other child's
    /// exit, or the end of its output, was never seen (a `kdig` that had exited was waited
    /// for while a `knotd` started beside it held its socket, and the test process hung).
    ///
    /// No signal blocked, as systemd or a shell would start it: tests run on the threads of
    /// the Swift concurrency pool, which block most signals, and a child inherits the
    /// blocked set of the thread that starts it, across `exec`. A server that does not
    /// unblock them itself (Dovecot, a Python script) never saw SIGTERM: each stop of one
    /// waited for its SIGKILL deadline. So the calling thread's mask is cleared for the
    /// moment of the spawn and put back at once.
    @discardableResult
    public func runWithSignalsUnblocked<Pipes>(attaching attach: () -> Pipes = {}) throws -> Pipes {
        Self.spawning.lock()
        defer { Self.spawning.unlock() }
        let pipes = attach()
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try run()
        return pipes
    }

    private static let spawning = NSLock()
}
