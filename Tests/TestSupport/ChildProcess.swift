import Foundation

/// Child processes for tests, run without blocking the cooperative thread pool.
///
/// The pool has only as many threads as the machine has cores. A test that blocks one
/// (reading a pipe to its end, `waitUntilExit`) holds it for as long as the child runs,
/// and with every pool thread held no other test, nor the task that would let the child
/// finish, can run: the whole test process hangs. So pipes are read on threads of their
/// own, exits are awaited by polling, and every child has a deadline.
public enum ChildProcess {
    /// What a program printed, and how it exited.
    public struct Finished: Sendable {
        /// The exit status (or the signal number, if a signal ended it).
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` to its end, at most `timeout`: then it is killed and
    /// ``ChildProcessTimeout`` is thrown with what it printed until then.
    /// - Parameter input: written to its standard input, which is then closed.
    /// - Parameter environment: its whole environment; nil: this process's.
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil,
                           environment: [String: String]? = nil, directory: String? = nil,
                           timeout: Duration = .seconds(120)) async throws -> Finished {
        _ = brokenPipesAreErrors
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let (output, errors, inputPipe) = try process.runWithSignalsUnblocked {
            let pipes = (Pipe(), Pipe(), Pipe())
            process.standardOutput = pipes.0
            process.standardError = pipes.1
            process.standardInput = pipes.2
            return pipes
        }
        let writer = inputPipe.fileHandleForWriting
        async let written: Void = onOwnThread {
            if let input { try writer.write(contentsOf: input) }
            try writer.close()
        }
        async let outputData = readToEnd(output.fileHandleForReading)
        async let errorData = readToEnd(errors.fileHandleForReading)
        let exitedInTime = await process.exit(within: timeout)
        let finished = Finished(status: process.isRunning ? SIGKILL : process.terminationStatus,
                                stdout: String(decoding: await outputData, as: UTF8.self),
                                stderr: String(decoding: await errorData, as: UTF8.self))
        _ = try? await written   // a child that exits without reading its input: EPIPE
        guard exitedInTime else {
            throw ChildProcessTimeout(command: ([executable] + arguments).joined(separator: " "),
                                      timeout: timeout, output: finished.stdout + finished.stderr)
        }
        return finished
    }
}

/// SIGPIPE ignored in the test process: writing `input` to a child that has already exited
/// (a command that fails before it reads) is then an EPIPE error, not the death of every test.
private let brokenPipesAreErrors: Void = { signal(SIGPIPE, SIG_IGN) }()

extension Process {
    /// Waits for the process to exit, polling; after `timeout` kills it with SIGKILL and
    /// waits up to 10 s more for the exit. Returns whether it exited within `timeout`.
    public func exit(within timeout: Duration) async -> Bool {
        if await exited(before: .now + timeout) { return true }
        kill(processIdentifier, SIGKILL)
        _ = await exited(before: .now + .seconds(10))
        return false
    }

    /// Looks often at first (most children are short) and then every 20 ms: a wait of seconds
    /// (a mail session, a server) costs a quarter of the wake-ups a fixed 5 ms did.
    private func exited(before deadline: ContinuousClock.Instant) async -> Bool {
        var pause = Duration.milliseconds(1)
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
        return true
    }
}

extension Process {
    /// The PID of this process's first child (from /proc): the program that a wrapper such
    /// as `timeout` or `unshare --fork` started. Nil while it has none.
    public func firstChildPID() -> pid_t? {
        let path = "/proc/\(processIdentifier)/task/\(processIdentifier)/children"
        let children = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { pid_t($0) }
    }
}

/// A child process that did not finish within its time and was killed.
public struct ChildProcessTimeout: Error, CustomStringConvertible {
    public var command: String
    public var timeout: Duration
    /// What it printed before it was killed.
    public var output: String

    public var description: String { "\(command) did not finish within \(timeout) and was killed; it printed: \(output)" }
}

/// Everything `handle` delivers until end of file, read on a thread of its own; then the
/// handle is closed. Not left to the handle's end: on Linux, Foundation keeps every
/// `Process` that was not waited for with `waitUntilExit` (and so its pipes) alive, and
/// each spawn of the test process closes, in the child, every descriptor up to the
/// highest one open: a thousand leaked pipes made every spawn slower.
func readToEnd(_ handle: FileHandle) async -> Data {
    (try? await onOwnThread {
        defer { try? handle.close() }
        return handle.readDataToEndOfFile()
    }) ?? Data()
}

/// Runs blocking `work` (a read, a poll, a blocking client call) on a thread of its own,
/// so that the cooperative pool stays free.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
