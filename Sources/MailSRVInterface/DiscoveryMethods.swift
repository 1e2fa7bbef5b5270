import Varlink

/// A method of `io.mailsrvd.Discovery`: its input parameters, bound to its name and its
/// output parameters (``VarlinkMethodCall/Reply``).
public protocol DiscoveryCall: VarlinkMethodCall {
    static var method: DiscoveryInterface.Method { get }
}

extension DiscoveryCall {
    public static var qualifiedMethodName: String { method.qualifiedName }
}

extension DiscoveryInterface {
    /// `Lookup`: all usable endpoints for the address, best first.
    public struct Lookup: DiscoveryCall {
        public typealias Reply = LookupReply
        public static var method: Method { .lookup }

        /// "user@example.net", or a bare domain "example.net".
        public var email = ""
        /// "retrieval" (default) | "submission" | imaps | imap | pop3s | pop3 | submissions
        public var want: String?
        /// FQDN for the same-subdomain preference; default: the daemon's host.
        public var clientHost: String?
        /// Also resolve target addresses (default true).
        public var resolve: Bool?

        public init() {}

        public init(email: String, want: String?, clientHost: String?, resolve: Bool?) {
            self.email = email
            self.want = want
            self.clientHost = clientHost
            self.resolve = resolve
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("email", &email)
            try members.member("want", &want)
            try members.member("clientHost", &clientHost)
            try members.member("resolve", &resolve)
        }
    }

    public struct LookupReply: VarlinkStruct {
        /// The mail domain, A-label (punycode) form.
        public var domain = ""
        public var candidates: [Endpoint] = []
        /// "secure" | "insecure" | "bogus"
        public var dnssec = ""
        /// "dns" | "cache" | "stale"
        public var source = ""
        /// Names the server certificate may present (RFC 7817).
        public var verifyNames: [String] = []

        public init() {}

        public init(domain: String, candidates: [Endpoint], dnssec: String, source: String, verifyNames: [String]) {
            self.domain = domain
            self.candidates = candidates
            self.dnssec = dnssec
            self.source = source
            self.verifyNames = verifyNames
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
            try members.member("candidates", &candidates)
            try members.member("dnssec", &dnssec)
            try members.member("source", &source)
            try members.member("verifyNames", &verifyNames)
        }
    }

    /// `Acquire`: one endpoint and one address to connect to now, held until released.
    public struct Acquire: DiscoveryCall {
        public typealias Reply = AcquireReply
        public static var method: Method { .acquire }

        public var email = ""
        public var want: String?
        public var clientHost: String?
        /// Also list the rest of the lease's order (for a client that races candidates).
        public var alternatives: Bool?

        public init() {}

        public init(email: String, want: String?, clientHost: String?, alternatives: Bool?) {
            self.email = email
            self.want = want
            self.clientHost = clientHost
            self.alternatives = alternatives
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("email", &email)
            try members.member("want", &want)
            try members.member("clientHost", &clientHost)
            try members.member("alternatives", &alternatives)
        }
    }

    public struct AcquireReply: VarlinkStruct {
        /// Opaque, unguessable.
        public var lease = ""
        public var endpoint = Endpoint()
        public var address = ""
        public var reused = false
        public var verifyNames: [String] = []
        /// With `alternatives`: the rest of the lease's order, without the tuples this uid
        /// has marked failed (at most 16).
        public var alternatives: [Route]?

        public init() {}

        public init(lease: String, endpoint: Endpoint, address: String, reused: Bool, verifyNames: [String],
                    alternatives: [Route]?) {
            self.lease = lease
            self.endpoint = endpoint
            self.address = address
            self.reused = reused
            self.verifyNames = verifyNames
            self.alternatives = alternatives
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("lease", &lease)
            try members.member("endpoint", &endpoint)
            try members.member("address", &address)
            try members.member("reused", &reused)
            try members.member("verifyNames", &verifyNames)
            try members.member("alternatives", &alternatives)
        }
    }

    /// `Report`: whether the lease's connection could be made; "failed" moves the lease on.
    public struct Report: DiscoveryCall {
        public typealias Reply = ReportReply
        public static var method: Method { .report }

        public var lease = ""
        /// "connected" | "failed"
        public var outcome = ""
        /// With `port` and `address` (all three or none): the tuple of the lease's order the
        /// report is about; none: the lease's own.
        public var host: String?
        public var port: Int?
        public var address: String?

        public init() {}

        public init(lease: String, outcome: String, host: String? = nil, port: Int? = nil, address: String? = nil) {
            self.lease = lease
            self.outcome = outcome
            self.host = host
            self.port = port
            self.address = address
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("lease", &lease)
            try members.member("outcome", &outcome)
            try members.member("host", &host)
            try members.member("port", &port)
            try members.member("address", &address)
        }
    }

    public struct ReportReply: VarlinkStruct {
        /// Where the lease is now.
        public var endpoint: Endpoint?
        public var address: String?
        /// Names the server certificate of that tuple may present.
        public var verifyNames: [String]?

        public init() {}

        public init(endpoint: Endpoint?, address: String?, verifyNames: [String]?) {
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

    /// `Release`: ends a lease.
    public struct Release: DiscoveryCall {
        public typealias Reply = ReleaseReply
        public static var method: Method { .release }

        public var lease = ""

        public init() {}

        public init(lease: String) {
            self.lease = lease
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("lease", &lease)
        }
    }

    public struct ReleaseReply: VarlinkStruct {
        public init() {}

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }

    /// `ListLeases`: the caller's own leases.
    public struct ListLeases: DiscoveryCall {
        public typealias Reply = ListLeasesReply
        public static var method: Method { .listLeases }

        public init() {}

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }

    public struct ListLeasesReply: VarlinkStruct {
        public var leases: [Lease] = []

        public init() {}

        public init(leases: [Lease]) {
            self.leases = leases
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("leases", &leases)
        }
    }

    /// `Flush`: drops cached records (one domain, or all). uid 0 only.
    public struct Flush: DiscoveryCall {
        public typealias Reply = FlushReply
        public static var method: Method { .flush }

        public var domain: String?

        public init() {}

        public init(domain: String?) {
            self.domain = domain
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("domain", &domain)
        }
    }

    public struct FlushReply: VarlinkStruct {
        public var flushed = 0

        public init() {}

        public init(flushed: Int) {
            self.flushed = flushed
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("flushed", &flushed)
        }
    }

    /// `Stats`: counters of the whole daemon; nothing that names a user or an address.
    public struct Stats: DiscoveryCall {
        public typealias Reply = StatsReply
        public static var method: Method { .stats }

        public init() {}

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }

    public struct StatsReply: VarlinkStruct {
        public var cachedNames = 0
        public var cacheHits = 0
        public var cacheMisses = 0
        public var staleServed = 0
        public var dnsQueries = 0
        public var clients = 0
        public var leases = 0
        public var uptimeSeconds = 0

        public init() {}

        public init(cachedNames: Int, cacheHits: Int, cacheMisses: Int, staleServed: Int, dnsQueries: Int,
                    clients: Int, leases: Int, uptimeSeconds: Int) {
            self.cachedNames = cachedNames
            self.cacheHits = cacheHits
            self.cacheMisses = cacheMisses
            self.staleServed = staleServed
            self.dnsQueries = dnsQueries
            self.clients = clients
            self.leases = leases
            self.uptimeSeconds = uptimeSeconds
        }

        @inlinable
        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("cachedNames", &cachedNames)
            try members.member("cacheHits", &cacheHits)
            try members.member("cacheMisses", &cacheMisses)
            try members.member("staleServed", &staleServed)
            try members.member("dnsQueries", &dnsQueries)
            try members.member("clients", &clients)
            try members.member("leases", &leases)
            try members.member("uptimeSeconds", &uptimeSeconds)
        }
    }
}
