/// A method's input parameters with Swift types, bound to the method's name and to its
/// output parameters, so that a client's call and the reply it decodes cannot disagree.
public protocol VarlinkMethodCall: VarlinkStruct {
    /// The method's output parameters.
    associatedtype Reply: VarlinkStruct

    /// The fully qualified method name, e.g. `org.varlink.service.GetInfo`.
    static var qualifiedMethodName: String { get }
}

extension VarlinkCall {
    /// The call of `parameters`' method with those parameters.
    public init(_ parameters: some VarlinkMethodCall) {
        self.init(method: type(of: parameters).qualifiedMethodName, parameters: parameters.parameters)
    }
}

/// The methods of `org.varlink.service` (``VarlinkInterface/service``) with Swift types.
public enum VarlinkServiceCalls {
    /// `GetInfo()`.
    public struct GetInfo: VarlinkMethodCall {
        public typealias Reply = Info
        public static var qualifiedMethodName: String { "org.varlink.service.GetInfo" }

        public init() {}

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {}
    }

    /// `GetInfo`'s output parameters.
    public struct Info: VarlinkStruct {
        public var vendor = ""
        public var product = ""
        public var version = ""
        public var url = ""
        public var interfaces: [String] = []

        public init() {}

        public init(vendor: String, product: String, version: String, url: String, interfaces: [String]) {
            self.vendor = vendor
            self.product = product
            self.version = version
            self.url = url
            self.interfaces = interfaces
        }

        public mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure) {
            try members.member("vendor", &vendor)
            try members.member("product", &product)
            try members.member("version", &version)
            try members.member("url", &url)
            try members.member("interfaces", &interfaces)
        }
    }
}

extension VarlinkClient {
    /// Calls `call`'s method with its parameters and waits for the reply: its output
    /// parameters typed, or the error the server replied. Throws when the call cannot be
    /// made or the reply does not decode as `Call.Reply`.
    public func call<Call: VarlinkMethodCall>(_ call: Call) throws -> Result<Call.Reply, VarlinkError> {
        let reply = try self.call(Call.qualifiedMethodName, call.parameters)
        if let error = reply.varlinkError { return .failure(error) }
        return .success(try Call.Reply(parameters: reply.parameters))
    }
}
