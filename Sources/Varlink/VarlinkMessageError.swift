/// Why one message (the bytes between two NULs) is not a valid Varlink call or reply.
public enum VarlinkMessageError: Error, Hashable, Sendable {
    /// The bytes are not JSON text (or not UTF-8).
    case notJSON
    /// The bytes are JSON, but not an object.
    case notAnObject
    /// A call's `method` is missing, not a string, or not a qualified name.
    case invalidMethod
    /// A member has the wrong type: `parameters` not an object, a flag not a boolean,
    /// a reply's `error` not a string.
    case invalidMember(String)

    /// Whether the peer does not speak Varlink at all (the bytes are no JSON object),
    /// rather than sending a malformed call.
    public var isGarbage: Bool {
        switch self {
        case .notJSON, .notAnObject: true
        case .invalidMethod, .invalidMember: false
        }
    }

    /// The `org.varlink.service.InvalidParameter` error that answers this message: it
    /// names the offending member, or `message` when the whole message is at fault.
    public var invalidParameter: VarlinkError {
        switch self {
        case .notJSON, .notAnObject: .invalidParameter("message")
        case .invalidMethod: .invalidParameter("method")
        case .invalidMember(let member): .invalidParameter(member)
        }
    }
}

extension JSONObject {
    /// Parses one message: JSON text whose top level must be an object.
    init(message: some Sequence<UInt8>) throws(VarlinkMessageError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: message)
        } catch {
            throw .notJSON
        }
        guard case .object(let object) = value else { throw .notAnObject }
        self = object
    }

    /// The member `key` as an object; absent or `null` is empty.
    func objectMember(_ key: String) throws(VarlinkMessageError) -> JSONObject {
        switch self[key] {
        case nil, .null: return [:]
        case .object(let object): return object
        default: throw .invalidMember(key)
        }
    }

    /// The member `key` as a boolean; absent or `null` is `false`.
    func flagMember(_ key: String) throws(VarlinkMessageError) -> Bool {
        switch self[key] {
        case nil, .null: return false
        case .bool(let flag): return flag
        default: throw .invalidMember(key)
        }
    }
}
