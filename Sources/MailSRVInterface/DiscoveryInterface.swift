/// Names of PROTOCOL.md's `io.mailsrvd.Discovery` interface, shared by the daemon and
/// `mailsrvctl` so that neither spells them on its own.
public enum DiscoveryInterface {
    public static let name = "io.mailsrvd.Discovery"

    /// Method names.
    public enum Method: String, CaseIterable, Sendable, MemberName {
        case lookup = "Lookup"
        case acquire = "Acquire"
        case report = "Report"
        case release = "Release"
        case listLeases = "ListLeases"
        case flush = "Flush"
        case stats = "Stats"
    }

    /// Error names.
    public enum Error: String, CaseIterable, Sendable, MemberName {
        case invalidAddress = "InvalidAddress"
        case noService = "NoService"
        case resolutionFailed = "ResolutionFailed"
        case exhausted = "Exhausted"
        case noSuchLease = "NoSuchLease"
        case permissionDenied = "PermissionDenied"
        case tooManyRequests = "TooManyRequests"
    }
}

/// A method or error of the interface: its short name is the raw value; on the wire it is
/// qualified with the interface name.
public protocol MemberName: RawRepresentable where RawValue == String {}

extension MemberName {
    /// `io.mailsrvd.Discovery.Name`.
    public var qualifiedName: String { "\(DiscoveryInterface.name).\(rawValue)" }

    /// The member of a fully qualified name of this interface; nil for anything else.
    public init?(qualifiedName: String) {
        let prefix = DiscoveryInterface.name + "."
        guard qualifiedName.hasPrefix(prefix) else { return nil }
        self.init(rawValue: String(qualifiedName.dropFirst(prefix.count)))
    }
}
