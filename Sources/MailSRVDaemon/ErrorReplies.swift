import MailDiscovery
import MailSRVInterface
import Varlink

/// The one place where engine errors become PROTOCOL.md's errors.
extension VarlinkError {
    static func discovery(_ name: DiscoveryInterface.Error, _ parameters: JSONObject = [:]) -> VarlinkError {
        VarlinkError(name: name.qualifiedName, parameters: parameters)
    }

    init(_ error: DiscoveryError) {
        switch error {
        case .invalidAddress(let email, _):
            self = .discovery(.invalidAddress, ["email": .string(email)])
        case .noService(let domain, let want):
            self = .discovery(.noService, ["domain": .string(domain), "want": .string(want)])
        case .resolutionFailed(let domain, let reason):
            self = .discovery(.resolutionFailed, ["domain": .string(domain), "reason": .string(reason)])
        }
    }

    init(_ error: LeaseError) {
        switch error {
        case .noSuchLease(let lease): self = .discovery(.noSuchLease, ["lease": .string(lease)])
        case .exhausted(let domain): self = .discovery(.exhausted, ["domain": .string(domain)])
        case .tooManyLeases: self = .discovery(.tooManyRequests)
        case .notInPinOrder: self = .invalidParameter("host")
        }
    }
}
