import Varlink

extension DiscoveryInterface {
    /// `Trust` and `Untrust`: both take one confirmation (CLIENTS.md §2), a ``Trusted``'s
    /// members at the top level; `Change` says which method it is and what it replies.
    public struct ConfirmationCall<Change: ConfirmationChange>: DiscoveryCall {
        public typealias Reply = Change.Reply
        public static var method: Method { Change.method }

        public var target = Trusted()

        public init() {}

        public init(domain: String, host: String) {
            target = Trusted(domain: domain, host: host)
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try target.members(&members)
        }
    }

    /// `Trust`: the caller accepts `host` as a server of `domain` (CLIENTS.md §2).
    public typealias Trust = ConfirmationCall<Confirm>
    /// `Untrust`: withdraws a confirmation of the caller.
    public typealias Untrust = ConfirmationCall<Withdraw>

    /// `Trust`'s method and reply.
    public enum Confirm: ConfirmationChange {
        public typealias Reply = TrustReply
        public static var method: Method { .trust }
    }

    /// `Untrust`'s method and reply.
    public enum Withdraw: ConfirmationChange {
        public typealias Reply = UntrustReply
        public static var method: Method { .untrust }
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

/// Which change of a confirmation a ``DiscoveryInterface/ConfirmationCall`` makes.
public protocol ConfirmationChange: Sendable {
    associatedtype Reply: VarlinkStruct
    static var method: DiscoveryInterface.Method { get }
}
