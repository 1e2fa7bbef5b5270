import MailDiscovery

/// Decoding of SRV rdata (RFC 2782): priority, weight and port as big-endian 16-bit
/// integers, then the target as an uncompressed wire-format domain name.
///
/// Pure and total: malformed input gives `nil`, never a trap (this is fuzzed).
public enum SRVRdata {
    /// Parses one SRV rdata. The target is returned lower-cased, without the trailing
    /// dot; the root name (a lone zero byte) is `"."`.
    ///
    /// Returns `nil` when the rdata is shorter than 7 bytes, a label runs past the end,
    /// the terminating zero label is missing, bytes follow it, a length byte uses the
    /// compression/extended bits (0xC0), the name exceeds 255 octets, or a label holds
    /// a byte that cannot be written in a host name without escaping (anything outside
    /// printable ASCII, `.` or `\`).
    public static func parse(_ rdata: [UInt8]) -> SRVRecord? {
        guard rdata.count >= 7 else { return nil }
        let priority = UInt16(rdata[0]) << 8 | UInt16(rdata[1])
        let weight = UInt16(rdata[2]) << 8 | UInt16(rdata[3])
        let port = UInt16(rdata[4]) << 8 | UInt16(rdata[5])
        guard let target = wireName(rdata, from: 6) else { return nil }
        return SRVRecord(priority: priority, weight: weight, port: port, target: target)
    }

    /// Decodes the wire name starting at `start`, which must end exactly at the end of `bytes`.
    static func wireName(_ bytes: [UInt8], from start: Int) -> String? {
        var index = start
        var labels: [String] = []
        var wireLength = 0
        while true {
            guard index < bytes.count else { return nil }           // missing terminator
            let length = Int(bytes[index])
            wireLength += 1 + length
            guard wireLength <= 255 else { return nil }             // RFC 1035 limit
            index += 1
            if length == 0 { break }
            guard length <= 63 else { return nil }                  // 0x40/0x80/0xC0 forms
            guard length <= bytes.count - index else { return nil } // label overrun
            var label = ""
            label.reserveCapacity(length)
            for byte in bytes[index ..< index + length] {
                guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "."),
                      byte != UInt8(ascii: "\\") else { return nil }
                let lower = (byte >= 0x41 && byte <= 0x5A) ? byte + 0x20 : byte
                label.unicodeScalars.append(Unicode.Scalar(lower))
            }
            labels.append(label)
            index += length
        }
        guard index == bytes.count else { return nil }              // trailing garbage
        return labels.isEmpty ? "." : labels.joined(separator: ".")
    }
}
