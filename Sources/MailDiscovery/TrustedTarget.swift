/// One confirmation by a user (RFC 6186 §6, RFC 7817): `host` serves mail for `domain`, so
/// a certificate naming `host` is acceptable for `domain`. Both names are A-labels.
public struct TrustedTarget: Hashable, Codable, Sendable, Comparable {
    public var domain: String
    public var host: String

    /// Both names parsed as host names (IDNA to A-labels, lower case, no trailing dot).
    public init(domain: String, host: String) throws(TrustedTargetError) {
        do {
            self.domain = try MailAddress.hostName(parsing: domain)
        } catch {
            throw .domain(error)
        }
        do {
            self.host = try MailAddress.hostName(parsing: host)
        } catch {
            throw .host(error)
        }
    }

    /// Whether both names are already in the form `init(domain:host:)` makes.
    var isNormalized: Bool {
        (try? TrustedTarget(domain: domain, host: host)) == self
    }

    public static func < (lhs: TrustedTarget, rhs: TrustedTarget) -> Bool {
        (lhs.domain, lhs.host) < (rhs.domain, rhs.host)
    }
}

/// Which name of a `TrustedTarget` is not a host name, and why.
public enum TrustedTargetError: Error, Hashable, Sendable {
    case domain(AddressError)
    case host(AddressError)
}
