import Varlink

/// The parameters of an error of `io.mailsrvd.Discovery`, bound to its name.
public protocol DiscoveryErrorParameters: VarlinkStruct {
    static var error: DiscoveryInterface.Error { get }
}

extension DiscoveryErrorParameters {
    /// The error, to throw from a method.
    public var varlinkError: VarlinkError {
        VarlinkError(name: Self.error.qualifiedName, parameters: parameters)
    }
}

extension DiscoveryInterface {
    /// An error reply of the interface, with its parameters typed.
    public enum Failure: Swift.Error, Hashable, Sendable {
        case invalidAddress(InvalidAddress)
        case noService(NoService)
        case resolutionFailed(ResolutionFailed)
        case exhausted(Exhausted)
        case noSuchLease(NoSuchLease)
        case permissionDenied(PermissionDenied)
        case tooManyRequests(TooManyRequests)

        /// The failure an error reply carries; nil when it is not an error of this
        /// interface (`org.varlink.service.InvalidParameter`, say).
        public init?(_ error: VarlinkError) throws(VarlinkDecodingError) {
            guard let name = Error(qualifiedName: error.name) else { return nil }
            let parameters = error.parameters
            switch name {
            case .invalidAddress: self = .invalidAddress(try InvalidAddress(parameters: parameters))
            case .noService: self = .noService(try NoService(parameters: parameters))
            case .resolutionFailed: self = .resolutionFailed(try ResolutionFailed(parameters: parameters))
            case .exhausted: self = .exhausted(try Exhausted(parameters: parameters))
            case .noSuchLease: self = .noSuchLease(try NoSuchLease(parameters: parameters))
            case .permissionDenied: self = .permissionDenied(try PermissionDenied(parameters: parameters))
            case .tooManyRequests: self = .tooManyRequests(try TooManyRequests(parameters: parameters))
            }
        }

        /// The error reply that carries it.
        public var varlinkError: VarlinkError {
            switch self {
            case .invalidAddress(let parameters): parameters.varlinkError
            case .noService(let parameters): parameters.varlinkError
            case .resolutionFailed(let parameters): parameters.varlinkError
            case .exhausted(let parameters): parameters.varlinkError
            case .noSuchLease(let parameters): parameters.varlinkError
            case .permissionDenied(let parameters): parameters.varlinkError
            case .tooManyRequests(let parameters): parameters.varlinkError
            }
        }
    }

    /// Not an email address or domain name.
    public struct InvalidAddress: DiscoveryErrorParameters {
        public static var error: Error { .invalidAddress }
        public var email = ""

        public init() {}
        public init(email: String) { self.email = email }

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("email", &email)
        }
    }

    /// No SRV records, or only "." targets.
    public struct NoService: DiscoveryErrorParameters {
        public static var error: Error { .noService }
        public var domain = ""
        public var want = ""

        public init() {}
        public init(domain: String, want: String) {
            self.domain = domain
            self.want = want
        }

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("want", &want)
        }
    }

    /// Timeout, SERVFAIL, DNSSEC bogus in strict mode.
    public struct ResolutionFailed: DiscoveryErrorParameters {
        public static var error: Error { .resolutionFailed }
        public var domain = ""
        public var reason = ""

        public init() {}
        public init(domain: String, reason: String) {
            self.domain = domain
            self.reason = reason
        }

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("reason", &reason)
        }
    }

    /// Every candidate has been reported failed.
    public struct Exhausted: DiscoveryErrorParameters {
        public static var error: Error { .exhausted }
        public var domain = ""

        public init() {}
        public init(domain: String) { self.domain = domain }

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
        }
    }

    /// Unknown, released, or another uid's.
    public struct NoSuchLease: DiscoveryErrorParameters {
        public static var error: Error { .noSuchLease }
        public var lease = ""

        public init() {}
        public init(lease: String) { self.lease = lease }

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("lease", &lease)
        }
    }

    public struct PermissionDenied: DiscoveryErrorParameters {
        public static var error: Error { .permissionDenied }

        public init() {}

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }

    /// A per-uid limit was hit.
    public struct TooManyRequests: DiscoveryErrorParameters {
        public static var error: Error { .tooManyRequests }

        public init() {}

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }
}
