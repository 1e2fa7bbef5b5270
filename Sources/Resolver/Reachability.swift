import Glibc
import MailDiscovery

/// Whether this host has a route to an upstream, asked of the kernel by connecting a UDP
/// socket (no packet is sent). libunbound answers SERVFAIL at once when it cannot send;
/// this tells that case apart in the failure's reason.
enum Reachability {
    /// The `strerror` text of the routing failure for `upstream` ("ADDR", "ADDR@PORT",
    /// "ADDR%ZONE"), or nil when it is reachable or not understood.
    static func routingError(_ upstream: String) -> String? {
        let parts = upstream.split(separator: "@", maxSplits: 1).map(String.init)
        let host = parts[0].split(separator: "%", maxSplits: 1).map(String.init)
        let port = parts.count > 1 ? UInt16(parts[1]) ?? 53 : 53
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, host[0], &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            return withUnsafePointer(to: &v4) { connectError(AF_INET, $0, MemoryLayout<sockaddr_in>.size) }
        }
        if inet_pton(AF_INET6, host[0], &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            v6.sin6_scope_id = host.count > 1 ? UInt32(host[1]) ?? 0 : 0
            return withUnsafePointer(to: &v6) { connectError(AF_INET6, $0, MemoryLayout<sockaddr_in6>.size) }
        }
        return nil
    }

    private static func connectError<T>(_ family: Int32, _ address: UnsafePointer<T>, _ length: Int) -> String? {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let rc = address.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(length)) }
        guard rc != 0, [ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT].contains(errno) else { return nil }
        return String(cString: strerror(errno))
    }

    /// `failure` with the routing error added when it is a SERVFAIL and no upstream is
    /// reachable ("network unreachable: Network is unreachable (192.0.2.1)").
    static func explain(_ failure: ResolutionFailure, upstreams: [String]) -> ResolutionFailure {
        guard failure.reason.hasPrefix("SERVFAIL"), !upstreams.isEmpty else { return failure }
        let errors = upstreams.map { ($0, routingError($0)) }
        guard errors.allSatisfy({ $0.1 != nil }) else { return failure }
        let list = errors.map { "\($0.0): \($0.1!)" }.joined(separator: ", ")
        return ResolutionFailure(reason: "network unreachable: no route to the upstream (\(list))")
    }
}
