/// One Varlink reply: `{"parameters": {…}}`, `{"error": "iface.Name", "parameters": {…}}`,
/// with `"continues": true` when more replies to the same call follow.
public struct VarlinkReply: Sendable, Hashable {
    /// The output parameters, or the error's parameters.
    public var parameters: JSONObject
    /// The fully qualified error name, when the call failed.
    public var error: String?
    /// More replies to the same call follow (only for calls with `more`).
    public var continues: Bool

    /// A successful reply.
    public init(parameters: JSONObject = [:], continues: Bool = false) {
        self.parameters = parameters
        self.error = nil
        self.continues = continues
    }

    /// An error reply.
    public init(error: String, parameters: JSONObject = [:]) {
        self.parameters = parameters
        self.error = error
        self.continues = false
    }

    /// Decodes a reply from one message (without its NUL).
    public init(message: some Sequence<UInt8>) throws(VarlinkMessageError) {
        let object = try JSONObject(message: message)
        self.parameters = try object.objectMember("parameters")
        self.continues = try object.flagMember("continues")
        switch object["error"] {
        case nil, .null: self.error = nil
        case .string(let name): self.error = name
        default: throw .invalidMember("error")
        }
    }

    /// The error this reply carries, if it is an error reply.
    public var varlinkError: VarlinkError? {
        self.error.map { VarlinkError(name: $0, parameters: self.parameters) }
    }

    /// The reply as one message (without its NUL); `parameters` is always present,
    /// `continues` only when `true`.
    public func serialized() -> String {
        var object: JSONObject = ["parameters": .object(self.parameters)]
        if let error = self.error { object["error"] = .string(error) }
        if self.continues { object["continues"] = true }
        return JSONValue.object(object).serialized()
    }
}
