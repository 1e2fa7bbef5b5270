#if canImport(Glibc)
import Glibc
#endif

/// Facts about this host that discovery's order depends on.
public enum LocalHost {
    /// This host's fully qualified name: the canonical name of `gethostname()` per
    /// `getaddrinfo`, or the plain host name when that fails; nil when there is none.
    public static func fullyQualifiedName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let hostName = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard !hostName.isEmpty else { return nil }
        var hints = addrinfo()
        hints.ai_flags = AI_CANONNAME
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(hostName, nil, &hints, &info) == 0, let info else { return hostName.lowercased() }
        defer { freeaddrinfo(info) }
        guard let canonical = info.pointee.ai_canonname else { return hostName.lowercased() }
        return String(cString: canonical).lowercased()
    }

    /// The address families for which this host has a non-loopback, non-link-local
    /// address (the RFC 6724 rules that need no routing table).
    public static func addressFamilies() -> AddressFamilies {
        var families = AddressFamilies()
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return families }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr,
                  entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                families.insert(.ipv4)
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr.__in6_u.__u6_addr8 }
                let isLinkLocal = bytes.0 == 0xFE && (bytes.1 & 0xC0) == 0x80
                if !isLinkLocal { families.insert(.ipv6) }
            default:
                continue
            }
        }
        return families
    }
}
