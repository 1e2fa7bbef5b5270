import Glibc
import SystemCall
import Synchronization

/// A dedicated thread that waits on one file descriptor (libunbound's `ub_fd`) and a
/// timer, until `stop()`. The only place in this target that deals with raw POSIX calls
/// and errno: a wake pipe, `poll`, and `pthread`.
///
/// Each round it asks `nextTimeout` how long it may sleep, polls, calls `onReadable` if
/// the descriptor is readable, then `onTimer`.
final class PollThread: @unchecked Sendable {
    // @unchecked: the closures run on the poll thread only (`nextTimeout` and `onTimer`
    // are set before `start`); `thread` is written once by `start`, before the thread
    // exists; the pipe fds are immutable after init.
    private let watchedFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let onReadable: () -> Void
    /// How long the next poll may sleep, in ms (-1 = no limit); set it before `start()`.
    var nextTimeout: () -> Int32 = { -1 }
    /// Called after every poll round; set it before `start()`.
    var onTimer: () -> Void = {}
    private var thread: pthread_t?
    private let stopping = Atomic(false)
    private let joined = Atomic(false)

    /// Creates the wake pipe. Throws a message with `strerror` when the pipe cannot be made.
    init(watching fd: Int32, onReadable: @escaping () -> Void) throws(PollThreadError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw PollThreadError("pipe: \(Self.errnoText())") }
        for end in fds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        watchedFD = fd
        wakeRead = fds[0]
        wakeWrite = fds[1]
        self.onReadable = onReadable
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts the thread. Call once.
    func start() throws(PollThreadError) {
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let me = Unmanaged<PollThread>.fromOpaque(arg!).takeRetainedValue()
            me.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<PollThread>.fromOpaque(box).release()
            throw PollThreadError("pthread_create: \(String(cString: strerror(rc)))")
        }
        thread = tid
    }

    /// True when called on the poll thread itself.
    var isCurrent: Bool {
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// Interrupts the current `poll` so that `nextTimeout` is asked again.
    func wake() {
        var byte: UInt8 = 1
        // EAGAIN: the pipe is full of wake-ups already, which is just as good.
        _ = untilNotInterrupted { write(wakeWrite, &byte, 1) }
    }

    /// Makes the thread end and waits for it (or detaches it when called from the thread
    /// itself). Idempotent.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        wake()
        guard let thread, !joined.exchange(true, ordering: .sequentiallyConsistent) else { return }
        if pthread_equal(thread, pthread_self()) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    private func run() {
        var fds = [pollfd(fd: watchedFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        var drain = [UInt8](repeating: 0, count: 64)
        while !stopping.load(ordering: .sequentiallyConsistent) {
            fds[0].revents = 0
            fds[1].revents = 0
            let n = untilNotInterrupted { poll(&fds, 2, nextTimeout()) }
            if n < 0 { return }   // EBADF/ENOMEM/EINVAL: nothing sensible left to do on this thread
            if fds[1].revents != 0 {
                while read(wakeRead, &drain, drain.count) > 0 {}
                if stopping.load(ordering: .sequentiallyConsistent) { return }
            }
            if fds[0].revents & Int16(POLLNVAL) != 0 { return }
            if fds[0].revents != 0 { onReadable() }
            onTimer()
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// The poll thread could not be set up.
struct PollThreadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
