import Glibc
import TestSupport

/// Reads the first line a TCP server sends: readiness checks of the harness's servers.
public enum LineProbe {
    /// The first line (without CRLF) that `address`:`port` sends within `timeout`, or nil.
    public static func firstLine(address: String, port: UInt16, timeout: Duration = .seconds(2)) async -> String? {
        (try? await onOwnThread { read(address: address, port: port, timeout: timeout) }) ?? nil
    }

    private static func read(address host: String, port: UInt16, timeout: Duration) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = ipv4SocketAddress(host, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return nil }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 4096, recv(fd, &byte, 1, 0) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self).trimmingSuffix("\r") }
            line.append(byte)
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// `host`:`port` as a `sockaddr_in` (host: dotted IPv4).
func ipv4SocketAddress(_ host: String, port: UInt16) -> sockaddr_in {
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = port.bigEndian
    sa.sin_addr.s_addr = inet_addr(host)
    return sa
}
