/// An interface a server serves: its name and its description in the Varlink interface
/// definition language, returned verbatim by `org.varlink.service.GetInterfaceDescription`.
public struct VarlinkInterface: Sendable, Hashable {
    /// The interface name, e.g. `org.example.Ping`.
    public var name: String
    /// The interface definition text (`interface org.example.Ping` …).
    public var description: String

    public init(name: String, description: String) {
        self.name = name
        self.description = description
    }
}

extension VarlinkInterface {
    /// `org.varlink.service`, which every Varlink server implements.
    public static let service = VarlinkInterface(
        name: "org.varlink.service",
        description: """
            # The Varlink Service Interface is provided by every varlink service. It
            # describes the service and the interfaces it implements.
            interface org.varlink.service

            # Get a list of all the interfaces a service provides and information
            # about the implementation.
            method GetInfo() -> (
              vendor: string,
              product: string,
              version: string,
              url: string,
              interfaces: []string
            )

            # Get the description of an interface that is implemented by this service.
            method GetInterfaceDescription(interface: string) -> (description: string)

            # The requested interface was not found.
            error InterfaceNotFound (interface: string)

            # The requested method was not found
            error MethodNotFound (method: string)

            # The interface defines the requested method, but the service does not
            # implement it.
            error MethodNotImplemented (method: string)

            # One of the passed parameters is invalid.
            error InvalidParameter (parameter: string)

            """
    )
}
