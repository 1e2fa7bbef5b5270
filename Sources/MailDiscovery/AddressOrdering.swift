/// The address families this host has a non-loopback address for. Detecting them is the
/// caller's job.
public struct AddressFamilies: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ipv6 = AddressFamilies(rawValue: 1 << 0)
    public static let ipv4 = AddressFamilies(rawValue: 1 << 1)
}

/// Orders the addresses of one SRV target (DESIGN.md §1.6).
public enum AddressOrdering {
    /// Returns the addresses of one host, each family already without duplicates (see
    /// ``unique(_:)``, done once per answer), in the order to try them: addresses of the
    /// families in `hostFamilies` first (RFC 6724 without a routing table), families
    /// interleaved starting with IPv6 (RFC 8305), random order within a family (draft-hall
    /// §4.1 f.2), drawn anew on every lookup. A host with neither family (offline, loopback
    /// only) is treated as having both.
    public static func arrange(
        ipv6: [String],
        ipv4: [String],
        hostFamilies: AddressFamilies,
        using rng: inout some RandomNumberGenerator
    ) -> [String] {
        let v6 = ipv6.count > 1 ? ipv6.shuffled(using: &rng) : ipv6
        let v4 = ipv4.count > 1 ? ipv4.shuffled(using: &rng) : ipv4
        switch (hostFamilies.contains(.ipv6), hostFamilies.contains(.ipv4)) {
        case (true, true), (false, false): return interleave(v6, v4)
        case (true, false): return v6 + v4
        case (false, true): return v4 + v6
        }
    }

    /// `a[0], b[0], a[1], b[1], …`, then what is left of the longer one.
    private static func interleave(_ a: [String], _ b: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(a.count + b.count)
        for index in 0..<max(a.count, b.count) {
            if index < a.count { result.append(a[index]) }
            if index < b.count { result.append(b[index]) }
        }
        return result
    }

    /// `addresses` without repeats, first occurrence kept.
    public static func unique(_ addresses: [String]) -> [String] {
        var seen = Set<String>()
        return addresses.filter { seen.insert($0).inserted }
    }
}
