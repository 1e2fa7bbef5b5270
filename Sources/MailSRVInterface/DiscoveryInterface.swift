/// PROTOCOL.md's `io.mailsrvd.Discovery` interface, shared by the daemon and every client
/// so that none spells a name on its own: method and error names here, the methods' input
/// and output parameters in `DiscoveryMethods.swift` (``DiscoveryCall``; the trust
/// methods in `DiscoveryTrustMethods.swift`), the types in `DiscoveryTypes.swift`, the errors' parameters in
/// `DiscoveryErrors.swift`. The text of the interface is `io.mailsrvd.Discovery.varlink`;
/// a test checks that these types declare exactly its members, types and order.
///
/// To add a method: write it into the `.varlink` file (and PROTOCOL.md), add its case to
/// ``Method``, its input parameters as a struct conforming to ``DiscoveryCall`` and its
/// output parameters as a ``VarlinkStruct`` (see that protocol for the pattern), then
/// answer it in the daemon's `DiscoveryService` (its switch over ``Method`` will not
/// compile until you do). To add an error: its case in ``Error``, a struct conforming to
/// ``DiscoveryErrorParameters``, a case in ``Failure``. To add a member to a struct: see
/// ``VarlinkStruct``; every place that builds the struct then fails to compile until it
/// supplies the member.
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
        case trust = "Trust"
        case untrust = "Untrust"
        case listTrusted = "ListTrusted"
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
