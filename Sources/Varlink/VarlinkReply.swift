/// One Varlink reply: `{"parameters": {…}}`, `{"error": "iface.Name", "parameters": {…}}`,
/// with `"continues": true` when more replies to the same call follow.
public struct VarlinkReply: Sendable, Hashable {
    /// The parameters as a tree, or as JSON object text written ahead (the hot path: a
    /// reply is encoded without building a tree).
    private enum Body: Sendable {
        case object(JSONObject)
        case encoded([UInt8])
    }

    private var body: Body
    /// The fully qualified error name, when the call failed.
    public var error: String?
    /// More replies to the same call follow (only for calls with `more`).
    public var continues: Bool

    /// A successful reply.
    public init(parameters: JSONObject = [:], continues: Bool = false) {
        self.body = .object(parameters)
        self.error = nil
        self.continues = continues
    }

    /// A successful reply whose parameters `writer` holds: one complete JSON object.
    public init(encodedParameters writer: JSONWriter) {
        self.body = .encoded(writer.bytes)
        self.error = nil
        self.continues = false
    }

    /// An error reply.
    public init(error: String, parameters: JSONObject = [:]) {
        self.body = .object(parameters)
        self.error = error
        self.continues = false
    }

    /// Decodes a reply from one message (without its NUL).
    public init(message: some Sequence<UInt8>) throws(VarlinkMessageError) {
        let object = try JSONObject(message: message)
        self.body = .object(try object.objectMember("parameters"))
        self.continues = try object.flagMember("continues")
        switch object["error"] {
        case nil, .null: self.error = nil
        case .string(let name): self.error = name
        default: throw .invalidMember("error")
        }
    }

    /// The output parameters, or the error's parameters.
    public var parameters: JSONObject {
        switch body {
        case .object(let object): object
        // Written by a JSONWriter as one object: parsing it back cannot fail.
        case .encoded(let text): (try? JSONObject(message: text)) ?? [:]
        }
    }

    /// The error this reply carries, if it is an error reply.
    public var varlinkError: VarlinkError? {
        self.error.map { VarlinkError(name: $0, parameters: self.parameters) }
    }

    /// The reply as one message (without its NUL); `parameters` is always present,
    /// `continues` only when `true`.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if continues {
            writer.key("continues")
            writer.bool(true)
        }
        if let error {
            writer.key("error")
            writer.string(error)
        }
        writer.key("parameters")
        switch body {
        case .object(let object): writer.object(object)
        case .encoded(let text): writer.encodedValue(text)
        }
        writer.endObject()
        return writer.bytes
    }

    /// ``encoded()`` as a string.
    public func serialized() -> String {
        String(decoding: encoded(), as: UTF8.self)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.error == rhs.error && lhs.continues == rhs.continues && lhs.parameters == rhs.parameters
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(error)
        hasher.combine(continues)
        hasher.combine(parameters)
    }
}
