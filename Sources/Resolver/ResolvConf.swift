import Glibc

/// The name servers of a `resolv.conf(5)` file: the address of every `nameserver` line,
/// in order. A line whose address is not an IPv4 or IPv6 address (an IPv6 one may carry a
/// `%zone`) is skipped, as the C library does.
public enum ResolvConf {
    /// The system's file.
    public static let systemPath = "/etc/resolv.conf"

    /// The servers listed in `text`.
    public static func nameservers(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            return address(String(words[1]))
        }
    }

    /// The servers of the file at `path`; empty when it cannot be read or lists none.
    public static func nameservers(at path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return nameservers(in: String(decoding: bytes, as: UTF8.self))
    }

    /// The servers of the file, or `127.0.0.1` when it lists none: what the C library
    /// and libunbound's `ub_ctx_resolvconf` use then.
    public static func nameserversOrLocalhost(at path: String = systemPath) -> [String] {
        let servers = nameservers(at: path)
        return servers.isEmpty ? ["127.0.0.1"] : servers
    }

    /// `text` if it is an address libunbound takes; an IPv6 `%zone` given by interface
    /// name becomes its index (libunbound reads only numbers there).
    private static func address(_ text: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &buffer) == 1 { return text }
        let parts = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard inet_pton(AF_INET6, parts[0], &buffer) == 1 else { return nil }
        guard parts.count == 2 else { return text }
        if UInt32(parts[1]) != nil { return text }
        let index = if_nametoindex(parts[1])
        return index == 0 ? nil : "\(parts[0])%\(index)"
    }
}
