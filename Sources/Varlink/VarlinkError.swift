/// A Varlink error: a qualified name and its parameters. A ``VarlinkService`` throws it
/// to answer a call with an error reply; the client gets it back from an error reply.
public struct VarlinkError: Error, Hashable, Sendable {
    /// The fully qualified error name, e.g. `org.varlink.service.InvalidParameter`.
    public var name: String
    /// The error's parameters, as declared in its interface.
    public var parameters: JSONObject

    public init(name: String, parameters: JSONObject = [:]) {
        self.name = name
        self.parameters = parameters
    }

    /// The reply that carries this error.
    public var reply: VarlinkReply {
        VarlinkReply(error: self.name, parameters: self.parameters)
    }
}

extension VarlinkError {
    /// The names of the standard errors of the `org.varlink.service` interface.
    public enum Name {
        public static let interfaceNotFound = "org.varlink.service.InterfaceNotFound"
        public static let methodNotFound = "org.varlink.service.MethodNotFound"
        public static let methodNotImplemented = "org.varlink.service.MethodNotImplemented"
        public static let invalidParameter = "org.varlink.service.InvalidParameter"
    }

    /// No interface of that name is served: `{"interface": name}`.
    public static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError(name: Name.interfaceNotFound, parameters: ["interface": .string(interface)])
    }

    /// The interface has no method of that name: `{"method": fully qualified name}`.
    public static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError(name: Name.methodNotFound, parameters: ["method": .string(method)])
    }

    /// The method is declared but this server does not implement it: `{"method": name}`.
    public static func methodNotImplemented(_ method: String) -> VarlinkError {
        VarlinkError(name: Name.methodNotImplemented, parameters: ["method": .string(method)])
    }

    /// A parameter is missing or has the wrong type or value: `{"parameter": name}`.
    public static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError(name: Name.invalidParameter, parameters: ["parameter": .string(parameter)])
    }
}
