import MailDiscovery
import MailSRVInterface
import Varlink

/// The one place where engine errors become PROTOCOL.md's errors.
extension VarlinkError {
    init(_ error: DiscoveryError) {
        switch error {
        case .invalidAddress(let email, _):
            self = DiscoveryInterface.InvalidAddress(email: email).varlinkError
        case .noService(let domain, let want):
            self = DiscoveryInterface.NoService(domain: domain, want: want).varlinkError
        case .resolutionFailed(let domain, let reason):
            self = DiscoveryInterface.ResolutionFailed(domain: domain, reason: reason).varlinkError
        case .invalidClientHost:
            self = .invalidParameter("clientHost")
        }
    }

    init(_ error: LeaseError) {
        switch error {
        case .noSuchLease(let lease): self = DiscoveryInterface.NoSuchLease(lease: lease).varlinkError
        case .exhausted(let domain): self = DiscoveryInterface.Exhausted(domain: domain).varlinkError
        case .tooManyLeases: self = .tooManyRequests
        case .notInPinOrder: self = .invalidParameter("host")
        }
    }

    init(_ error: AcquireError) {
        switch error {
        case .lookup(let error): self.init(error)
        case .lease(let error): self.init(error)
        }
    }

    static let tooManyRequests = DiscoveryInterface.TooManyRequests().varlinkError
    static let permissionDenied = DiscoveryInterface.PermissionDenied().varlinkError
}
