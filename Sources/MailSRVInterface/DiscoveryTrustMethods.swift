import Varlink

extension DiscoveryInterface {
    /// `Trust`: the caller accepts `host` as a server of `domain` (CLIENTS.md §2).
    public struct Trust: DiscoveryCall {
        public typealias Reply = TrustReply
        public static var method: Method { .trust }

        public var domain = ""
        public var host = ""

        public init() {}

        public init(domain: String, host: String) {
            self.domain = domain
            self.host = host
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("host", &host)
        }
    }

    public struct TrustReply: VarlinkStruct {
        /// The names as stored: A-labels.
        public var domain = ""
        public var host = ""
        /// False when the confirmation was there already.
        public var added = false

        public init() {}

        public init(domain: String, host: String, added: Bool) {
            self.domain = domain
            self.host = host
            self.added = added
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("host", &host)
            try members.member("added", &added)
        }
    }

    /// `Untrust`: withdraws a confirmation of the caller.
    public struct Untrust: DiscoveryCall {
        public typealias Reply = UntrustReply
        public static var method: Method { .untrust }

        public var domain = ""
        public var host = ""

        public init() {}

        public init(domain: String, host: String) {
            self.domain = domain
            self.host = host
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("host", &host)
        }
    }

    public struct UntrustReply: VarlinkStruct {
        public var domain = ""
        public var host = ""
        /// False when there was no such confirmation.
        public var removed = false

        public init() {}

        public init(domain: String, host: String, removed: Bool) {
            self.domain = domain
            self.host = host
            self.removed = removed
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("host", &host)
            try members.member("removed", &removed)
        }
    }

    /// `ListTrusted`: the caller's own confirmations, sorted by domain, then host.
    public struct ListTrusted: DiscoveryCall {
        public typealias Reply = ListTrustedReply
        public static var method: Method { .listTrusted }

        public init() {}

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }

    public struct ListTrustedReply: VarlinkStruct {
        public var trusted: [Trusted] = []

        public init() {}

        public init(trusted: [Trusted]) {
            self.trusted = trusted
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("trusted", &trusted)
        }
    }
}
