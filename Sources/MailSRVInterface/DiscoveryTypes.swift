import Varlink

extension DiscoveryInterface {
    /// `type Endpoint`: one way to reach a mail service.
    public struct Endpoint: VarlinkStruct {
        /// imaps | imap | pop3s | pop3 | submissions | submission
        public var service = ""
        /// "implicit" (TLS from the first byte) | "starttls"
        public var tls = ""
        /// SRV target, lower case A-label form, no trailing dot.
        public var host = ""
        public var port = 0
        public var priority = 0
        public var weight = 0
        /// The target's IPv6/IPv4 addresses, in the order to try.
        public var addresses: [String] = []
        /// Seconds left of the shorter of its SRV and address records (0 when stale).
        public var ttl = 0

        public init() {}

        public init(service: String, tls: String, host: String, port: Int, priority: Int, weight: Int,
                    addresses: [String], ttl: Int) {
            self.service = service
            self.tls = tls
            self.host = host
            self.port = port
            self.priority = priority
            self.weight = weight
            self.addresses = addresses
            self.ttl = ttl
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("service", &service)
            try members.member("tls", &tls)
            try members.member("host", &host)
            try members.member("port", &port)
            try members.member("priority", &priority)
            try members.member("weight", &weight)
            try members.member("addresses", &addresses)
            try members.member("ttl", &ttl)
        }

        /// The endpoint with its ttl at 0: what stays the same while the ttl counts down,
        /// so that two replies naming one endpoint (a pin restored, a lease reused) compare equal.
        public var withoutTTL: Endpoint {
            var endpoint = self
            endpoint.ttl = 0
            return endpoint
        }
    }

    /// `type Lease`: one of the caller's leases.
    public struct Lease: VarlinkStruct {
        public var lease = ""
        public var email = ""
        public var want = ""
        public var endpoint = Endpoint()
        public var address = ""
        /// "pending" | "connected"
        public var state = ""

        public init() {}

        public init(lease: String, email: String, want: String, endpoint: Endpoint, address: String, state: String) {
            self.lease = lease
            self.email = email
            self.want = want
            self.endpoint = endpoint
            self.address = address
            self.state = state
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("lease", &lease)
            try members.member("email", &email)
            try members.member("want", &want)
            try members.member("endpoint", &endpoint)
            try members.member("address", &address)
            try members.member("state", &state)
        }
    }

    /// `type Route`: one (endpoint, address) of a lease's order of candidates.
    public struct Route: VarlinkStruct {
        public var endpoint = Endpoint()
        public var address = ""
        /// Names its server certificate may present (as `Acquire`'s for the lease's own).
        public var verifyNames: [String] = []

        public init() {}

        public init(endpoint: Endpoint, address: String, verifyNames: [String]) {
            self.endpoint = endpoint
            self.address = address
            self.verifyNames = verifyNames
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("endpoint", &endpoint)
            try members.member("address", &address)
            try members.member("verifyNames", &verifyNames)
        }
    }

    /// `type Trusted`: a confirmation by the caller that `host` serves mail for `domain`.
    public struct Trusted: VarlinkStruct {
        /// A-label form, like `host`.
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
}
