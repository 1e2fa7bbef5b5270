import Glibc

/// A loopback port that is free for both TCP and UDP right now (it may be taken again
/// before the server binds it: servers started by the tests retry with another then).
public enum FreePort {
    /// A free port on `address` (an IPv4 loopback address such as `127.0.0.7`).
    public static func pick(address: String = "127.0.0.1") throws -> UInt16 {
        for _ in 0..<20 {
            guard let port = bound(SOCK_STREAM, address: address, port: 0) else { continue }
            if bound(SOCK_DGRAM, address: address, port: port) != nil { return port }
        }
        throw FreePortError(address: address)
    }

    /// Binds a socket of `type` to `address`:`port` (0 = any), returns the port, closes it.
    private static func bound(_ type: __socket_type, address host: String, port: UInt16) -> UInt16? {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        return ok ? UInt16(bigEndian: address.sin_port) : nil
    }
}

/// No free port was found.
public struct FreePortError: Error, CustomStringConvertible {
    public var address: String
    public var description: String { "no free port found on \(address)" }
}
