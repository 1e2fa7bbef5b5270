import Foundation

extension Process {
    /// Starts the process with no signal blocked, as systemd or a shell would.
    ///
    /// Tests run on the threads of the Swift concurrency pool, which block most signals,
    /// and a child inherits the blocked set of the thread that starts it, across `exec`.
    /// A server that does not unblock them itself (Dovecot, a Python script) then never
    /// sees SIGTERM: each stop of one waited for its SIGKILL deadline. So the calling
    /// thread's mask is cleared for the moment of the spawn and put back at once.
    public func runWithSignalsUnblocked() throws {
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try run()
    }
}
