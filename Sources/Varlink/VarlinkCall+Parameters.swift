/// Typed access to a call's parameters. A missing (for required ones) or wrongly typed
/// parameter throws `org.varlink.service.InvalidParameter` naming it, so a service can
/// simply `try` and let the error become the reply. `null` counts as absent.
extension VarlinkCall {
    /// The required string parameter `name`.
    public func string(_ name: String) throws(VarlinkError) -> String {
        try self.required(name, \.stringValue)
    }

    /// The optional string parameter `name`.
    public func optionalString(_ name: String) throws(VarlinkError) -> String? {
        try self.optional(name, \.stringValue)
    }

    /// The optional boolean parameter `name`.
    public func optionalBool(_ name: String) throws(VarlinkError) -> Bool? {
        try self.optional(name, \.boolValue)
    }

    /// The required integer parameter `name`.
    public func int(_ name: String) throws(VarlinkError) -> Int {
        try self.required(name, \.intValue)
    }

    private func required<T>(_ name: String, _ extract: (JSONValue) -> T?) throws(VarlinkError) -> T {
        guard let value = try self.optional(name, extract) else { throw .invalidParameter(name) }
        return value
    }

    /// The optional integer parameter `name`.
    public func optionalInt(_ name: String) throws(VarlinkError) -> Int? {
        try self.optional(name, \.intValue)
    }

    private func optional<T>(_ name: String, _ extract: (JSONValue) -> T?) throws(VarlinkError) -> T? {
        guard let value = self.parameters[name], value != .null else { return nil }
        guard let typed = extract(value) else { throw .invalidParameter(name) }
        return typed
    }
}
