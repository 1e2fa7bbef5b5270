/// One Varlink method call: `{"method": "iface.Method", "parameters": {…}, "oneway": true, "more": true}`.
///
/// `upgrade` is not supported and ignored when decoding.
public struct VarlinkCall: Sendable, Hashable {
    /// The fully qualified method name, e.g. `org.varlink.service.GetInfo`.
    public var method: String
    /// The call's input parameters.
    public var parameters: JSONObject
    /// The caller wants no reply.
    public var oneway: Bool
    /// The caller accepts several replies (all but the last with `continues`).
    public var more: Bool

    public init(method: String, parameters: JSONObject = [:], oneway: Bool = false, more: Bool = false) {
        self.method = method
        self.parameters = parameters
        self.oneway = oneway
        self.more = more
    }

    /// Decodes a call from one message (without its NUL).
    public init(message: some Sequence<UInt8>) throws(VarlinkMessageError) {
        let object = try JSONObject(message: message)
        guard let method = object["method"]?.stringValue, method.contains("."), !method.hasSuffix(".") else {
            throw .invalidMethod
        }
        self.init(
            method: method,
            parameters: try object.objectMember("parameters"),
            oneway: try object.flagMember("oneway"),
            more: try object.flagMember("more")
        )
    }

    /// The interface part of ``method``: everything before its last dot.
    public var interface: String {
        String(self.method[..<(self.method.lastIndex(of: ".") ?? self.method.endIndex)])
    }

    /// The call as one message (without its NUL); flags that are `false` are left out.
    public func serialized() -> String {
        var object: JSONObject = ["method": .string(self.method), "parameters": .object(self.parameters)]
        if self.oneway { object["oneway"] = true }
        if self.more { object["more"] = true }
        return JSONValue.object(object).serialized()
    }
}
