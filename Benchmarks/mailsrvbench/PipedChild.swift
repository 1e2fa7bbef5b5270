import Glibc

/// A program whose stdin and stdout are pipes to us (its stderr appended to a log file),
/// reaped with its resource usage: a mail client's tunnel command as the client runs it.
final class PipedChild {
    let pid: pid_t
    /// The write end of its stdin.
    private(set) var input: Int32
    /// The read end of its stdout.
    let output: Int32
    /// Read from its stdout, not yet returned from `start` on.
    private var buffer: [UInt8] = []
    private var start = 0
    private var scratch = [UInt8](repeating: 0, count: 1 << 20)

    init(_ command: [String], stderrLog: String) throws(BenchError) {
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw .system("pipe") }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }   // not inherited by later children
        pid = try spawnProgram(command) { actions in
            posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
            posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
            posix_spawn_file_actions_addopen(&actions, 2, stderrLog, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        close(toChild[0])
        close(fromChild[1])
        input = toChild[1]
        output = fromChild[0]
    }

    /// Writes `text` to its stdin.
    func send(_ text: String) throws(BenchError) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(input, $0.baseAddress! + sent, bytes.count - sent) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .system("write to child \(pid)") }
            sent += n
        }
    }

    /// The next line of its stdout (without CRLF), waiting until `deadline` (monotonic ns).
    func line(before deadline: UInt64) throws(BenchError) -> String {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            buffer.removeSubrange(..<start)
            start = 0
            guard try fill(before: deadline) else { throw .protocolError("child \(pid): stdout ended in a line") }
        }
    }

    /// Reads and drops `count` bytes of its stdout (a literal), waiting until `deadline`.
    func skip(_ count: Int, before deadline: UInt64) throws(BenchError) {
        var left = count
        while left > 0 {
            if start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
                guard try fill(before: deadline) else { throw .protocolError("child \(pid): stdout ended with \(left) bytes to come") }
            }
            let taken = min(left, buffer.count - start)
            start += taken
            left -= taken
        }
    }

    /// Appends what its stdout has (up to 1 MiB); false at its end.
    private func fill(before deadline: UInt64) throws(BenchError) -> Bool {
        var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, 100) == 0 {
            guard monotonicNanoseconds() < deadline else { throw .protocolError("child \(pid): no output in time") }
        }
        let n = scratch.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { return true }
        guard n >= 0 else { throw .system("read from child \(pid)") }
        buffer.append(contentsOf: scratch[..<n])
        return n > 0
    }

    /// Closes its stdin, reads its stdout to the end, and reaps it (killed when it has not
    /// ended after `seconds`). Returns the CPU seconds (user + system) it used.
    func finish(within seconds: Int) -> Double {
        if input >= 0 { close(input); input = -1 }
        var deadline = monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000
        while (try? fill(before: deadline)) == true { buffer.removeAll(keepingCapacity: true); start = 0 }
        close(output)
        var status: Int32 = 0
        var usage = rusage()
        while true {
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid || (reaped < 0 && errno != EINTR) { break }
            if monotonicNanoseconds() >= deadline { kill(pid, SIGKILL); deadline = .max }
            usleep(5_000)
        }
        func cpu(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return cpu(usage.ru_utime) + cpu(usage.ru_stime)
    }
}
