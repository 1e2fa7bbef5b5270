import FoundationEssentials

/// How the resolver treats DNSSEC (DESIGN.md §4).
public enum DNSSECMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// No validation: no trust anchors are loaded, every answer is `insecure`.
    case off
    /// Validate and report (`secure` / `insecure` / `bogus`), never fail because of it.
    case permissive
    /// Validate; a bogus answer is a `ResolutionFailure`.
    case strict
}

/// Settings of an `UnboundResolver`. All of them are applied before the first query.
public struct ResolverConfiguration: Sendable, Hashable {
    /// The system trust anchor file of Debian's `dns-root-data` package.
    public static let systemTrustAnchorFile = "/usr/share/dns/root.key"

    /// Upstream servers, each `"ADDR"` or `"ADDR@PORT"`. Empty (the default): the
    /// name servers of `/etc/resolv.conf`.
    public var upstreams: [String]
    /// DNSSEC handling. Default: `.permissive`.
    public var dnssec: DNSSECMode
    /// A file of trust anchors (DS or DNSKEY lines). Default: `systemTrustAnchorFile`
    /// when it exists, else `nil`. Ignored when `dnssec` is `.off`.
    public var trustAnchorFile: String?
    /// Extra trust anchors, one DS or DNSKEY record in presentation format each
    /// (e.g. `"signed.test. DS 2464 13 2 0f60…"`). Default: none. Ignored when `dnssec` is `.off`.
    public var trustAnchors: [String]
    /// How long one query may take before it fails with a timeout. Default: 5 s.
    public var queryTimeout: Duration

    public init(upstreams: [String] = [],
                dnssec: DNSSECMode = .permissive,
                trustAnchorFile: String? = ResolverConfiguration.defaultTrustAnchorFile,
                trustAnchors: [String] = [],
                queryTimeout: Duration = .seconds(5)) {
        self.upstreams = upstreams
        self.dnssec = dnssec
        self.trustAnchorFile = trustAnchorFile
        self.trustAnchors = trustAnchors
        self.queryTimeout = queryTimeout
    }

    /// `systemTrustAnchorFile` if it exists on this host, else `nil`.
    public static var defaultTrustAnchorFile: String? {
        FileManager.default.fileExists(atPath: systemTrustAnchorFile) ? systemTrustAnchorFile : nil
    }
}
