/// What `org.varlink.service.GetInfo` reports, and the interfaces whose descriptions
/// `org.varlink.service.GetInterfaceDescription` returns.
public struct VarlinkServiceInfo: Sendable, Hashable {
    public var vendor: String
    public var product: String
    public var version: String
    public var url: String
    /// The interfaces served, besides `org.varlink.service` itself.
    public var interfaces: [VarlinkInterface]

    public init(vendor: String, product: String, version: String, url: String, interfaces: [VarlinkInterface]) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
        self.interfaces = interfaces
    }

    /// The description of the interface `name`, `org.varlink.service` included.
    public func interface(named name: String) -> VarlinkInterface? {
        name == VarlinkInterface.service.name ? .service : self.interfaces.first { $0.name == name }
    }

    /// Answers a call to `org.varlink.service`: `GetInfo`, `GetInterfaceDescription`;
    /// any other method is `MethodNotFound`.
    public func answer(_ call: VarlinkCall) throws(VarlinkError) -> VarlinkReply {
        switch call.method {
        case "org.varlink.service.GetInfo":
            let names = [VarlinkInterface.service.name] + self.interfaces.map(\.name)
            let info = VarlinkServiceCalls.Info(vendor: self.vendor, product: self.product, version: self.version,
                                                url: self.url, interfaces: names)
            return VarlinkReply(parameters: info.parameters)
        case "org.varlink.service.GetInterfaceDescription":
            let name = try call.string("interface")
            guard let interface = self.interface(named: name) else { throw .interfaceNotFound(name) }
            return VarlinkReply(parameters: ["description": .string(interface.description)])
        default:
            throw .methodNotFound(call.method)
        }
    }
}
