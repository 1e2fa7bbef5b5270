import Glibc

/// `AutoconfigListen=` / `--autoconfig-listen`: a loopback IP address and a TCP port,
/// `127.0.0.1:8080` or `[::1]:8080` (port 0: any free port, which the log names). Any other address is refused: the endpoint tells
/// whoever asks where mail servers are and has no business off the host.
public struct AutoconfigAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address as written, without brackets.
    public var host: String
    public var port: Int

    public init(parsing text: String) throws(AutoconfigAddressError) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw AutoconfigAddressError(text: text, problem: "expected [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw AutoconfigAddressError(text: text, problem: "expected ADDR:PORT (an IPv6 address in brackets)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw AutoconfigAddressError(text: text, problem: "'\(portText)' is not a port (0-65535)")
        }
        guard Self.isLoopback(String(host)) else {
            throw AutoconfigAddressError(text: text, problem: "'\(host)' is not a loopback IP address (127.0.0.0/8 or ::1)")
        }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for a numeric IPv4 address in 127.0.0.0/8 and for `::1` (also as `::ffff:127.x.y.z`).
    public static func isLoopback(_ address: String) -> Bool {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, address, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET6, address, &ipv6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: ipv6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        return mapped && bytes[12] == 127
    }
}

/// Why an autoconfig listen address is refused.
public struct AutoconfigAddressError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public var description: String { problem }
}
