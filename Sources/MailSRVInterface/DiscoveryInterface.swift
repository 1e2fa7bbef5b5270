/// Names of PROTOCOL.md's `io.mailsrvd.Discovery` interface, shared by the daemon and
/// `mailsrvctl` so that neither spells them on its own.
public enum DiscoveryInterface {
    public static let name = "io.mailsrvd.Discovery"

    /// Method names, fully qualified.
    public enum Method: String, CaseIterable, Sendable {
        case lookup = "Lookup"
        case acquire = "Acquire"
        case report = "Report"
        case release = "Release"
        case listLeases = "ListLeases"
        case flush = "Flush"
        case stats = "Stats"

        public var qualifiedName: String { "\(DiscoveryInterface.name).\(rawValue)" }

        /// The method of a fully qualified name of this interface.
        public init?(qualifiedName: String) {
            let prefix = DiscoveryInterface.name + "."
            guard qualifiedName.hasPrefix(prefix) else { return nil }
            self.init(rawValue: String(qualifiedName.dropFirst(prefix.count)))
        }
    }

    /// Error names, fully qualified.
    public enum Error: String, CaseIterable, Sendable {
        case invalidAddress = "InvalidAddress"
        case noService = "NoService"
        case resolutionFailed = "ResolutionFailed"
        case exhausted = "Exhausted"
        case noSuchLease = "NoSuchLease"
        case permissionDenied = "PermissionDenied"
        case tooManyRequests = "TooManyRequests"

        public var qualifiedName: String { "\(DiscoveryInterface.name).\(rawValue)" }

        public init?(qualifiedName: String) {
            let prefix = DiscoveryInterface.name + "."
            guard qualifiedName.hasPrefix(prefix) else { return nil }
            self.init(rawValue: String(qualifiedName.dropFirst(prefix.count)))
        }
    }
}
