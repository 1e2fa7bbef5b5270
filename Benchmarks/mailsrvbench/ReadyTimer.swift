import Glibc

/// Measures the time from exec to `READY=1`: binds a datagram socket of its own, starts
/// the program with `NOTIFY_SOCKET` pointing at it, and waits for the notification.
/// The program keeps running; its pid is reported so the caller can stop it.
enum ReadyTimer {
    static func run(notifySocket: String, timeoutSeconds: Int, command: [String]) throws(BenchError)
        -> (pid: pid_t, milliseconds: Double) {
        let fd = try bindDatagram(notifySocket)
        defer { close(fd) }
        let environment = currentEnvironment().filter { !$0.hasPrefix("NOTIFY_SOCKET=") } + ["NOTIFY_SOCKET=\(notifySocket)"]
        let startedAt = monotonicNanoseconds()
        // The program's stdout goes to our stderr: a caller reading our stdout through a
        // pipe must see it end when we exit, not when the program does.
        let pid = try spawnProgram(command, environment: environment) { posix_spawn_file_actions_adddup2(&$0, 2, 1) }
        let deadline = startedAt + UInt64(timeoutSeconds) * 1_000_000_000
        var buffer = [UInt8](repeating: 0, count: 4096)
        while monotonicNanoseconds() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            if text.split(separator: "\n").contains("READY=1") {
                return (pid, Double(monotonicNanoseconds() - startedAt) / 1e6)
            }
        }
        kill(pid, SIGTERM)
        throw .protocolError("no READY=1 within \(timeoutSeconds) s")
    }

    private static func bindDatagram(_ path: String) throws(BenchError) -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        var address = try BenchSocket.unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw .system("bind \(path)") }
        return fd
    }

    private static func currentEnvironment() -> [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }
}
