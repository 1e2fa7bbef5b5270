import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The package root (this file is Tests/SystemdTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Sets (or unsets, for nil) environment variables for the duration of `body`, restoring
/// what was there before. Only for tests in the serialized `ProcessGlobalState` suite.
func withEnvironment<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
    var saved: [String: String?] = [:]
    for (name, value) in values {
        saved[name] = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try body()
}

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String
    init() throws {
        var template = Array("/tmp/systemd-tests-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno)!) }
        path = String(cString: made)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

func sockaddrUnix(_ path: String) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8.prefix(raw.count - 1))
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return address
}

/// A Unix socket of `type` bound to `path` (listening, for stream sockets when `listen`).
func boundUnixSocket(_ path: String, type: Int32, listen shouldListen: Bool = true) throws -> Int32 {
    let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
    var address = sockaddrUnix(path)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else { close(fd); throw POSIXError(.init(rawValue: errno)!) }
    if shouldListen && type == Int32(SOCK_STREAM.rawValue) {
        guard listen(fd, 8) == 0 else { close(fd); throw POSIXError(.init(rawValue: errno)!) }
    }
    return fd
}

/// One datagram from `fd`, or nil after `timeout` seconds.
func receiveDatagram(_ fd: Int32, timeout: Int = 2) -> String? {
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = recv(fd, &buffer, buffer.count, 0)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[..<count], as: UTF8.self)
}

/// A listening TCP socket on 127.0.0.1, port chosen by the kernel.
func listeningTCPSocket() throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.init(rawValue: errno)!) }
    return fd
}
