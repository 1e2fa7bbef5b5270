import MailSRVInterface
import Varlink

/// A failed call to mailsrvd, or a failed verb: one line saying why, and its `kind`, from
/// which each verb's exit code follows: `exitCode` here (DESIGN.md §7), `TunnelError` for
/// `connect` (CLIENTS.md §1).
struct Failure: Error, CustomStringConvertible {
    /// What failed, whatever the verb.
    enum Kind {
        /// The address or domain is not one (InvalidAddress).
        case invalidAddress
        /// mailsrvd refused a parameter (org.varlink.service.InvalidParameter).
        case invalidParameter
        /// No server can be used (NoService, Exhausted).
        case unavailable
        /// mailsrvd could not be reached or understood, or it (or DNS) failed.
        case failed
    }

    var description: String
    var kind: Kind
    /// The daemon's error, when the failure is one of the interface's.
    var error: DiscoveryInterface.Error?
    /// The parameter the daemon refused, for `InvalidParameter`.
    var invalidParameter: String?

    static func talking(_ message: String) -> Failure { Failure(description: message, kind: .failed) }

    init(description: String, kind: Kind) {
        self.description = description
        self.kind = kind
    }

    /// mailsrvctl's exit code: 1 error talking to the daemon, 2 bad usage, 3 no service or
    /// exhausted.
    var exitCode: Int32 {
        switch kind {
        case .failed: 1
        case .invalidAddress, .invalidParameter: 2
        case .unavailable: 3
        }
    }

    /// The daemon's error reply, in words.
    init(_ error: VarlinkError) {
        let failure: DiscoveryInterface.Failure?
        do {
            failure = try DiscoveryInterface.Failure(error)
        } catch let decoding {
            self.init(description: "mailsrvd answered \(error.name) with unexpected parameters: \(decoding)", kind: .failed)
            return
        }
        switch failure {
        case .invalidAddress(let error)?:
            self.init(description: "not an email address or domain: \(error.email)", kind: .invalidAddress)
        case .noService(let error)?: self.init(description: "\(error.domain) offers no \(error.want) service", kind: .unavailable)
        case .exhausted(let error)?: self.init(description: "every server of \(error.domain) has failed", kind: .unavailable)
        case .resolutionFailed(let error)?:
            self.init(description: "cannot resolve \(error.domain): \(error.reason)", kind: .failed)
        case .noSuchLease(let error)?: self.init(description: "no such lease: \(error.lease)", kind: .failed)
        case .permissionDenied?: self.init(description: "permission denied (this needs root)", kind: .failed)
        case .tooManyRequests?: self.init(description: "too many requests from this user; try again later", kind: .failed)
        case nil where error.name == VarlinkError.Name.invalidParameter:
            let parameter = error.parameters["parameter"]?.stringValue ?? "?"
            self.init(description: "invalid parameter '\(parameter)'", kind: .invalidParameter)
            invalidParameter = parameter
        case nil:
            self.init(description: "mailsrvd answered \(error.name)", kind: .failed)
        }
        self.error = DiscoveryInterface.Error(qualifiedName: error.name)
    }
}
