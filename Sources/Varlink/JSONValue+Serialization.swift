extension JSONValue {
    /// Compact JSON text: no whitespace, object keys sorted (so output is deterministic),
    /// non-ASCII characters written as UTF-8, control characters escaped. Non-finite
    /// numbers, which JSON cannot express, are written as `null`.
    public func serialized() -> String {
        var writer = JSONWriter()
        writer.value(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Parses JSON text of any kind (object, array, string, number, `true`, `false`,
    /// `null`) with ``JSONParser``'s strict rules.
    public init(parsing bytes: some Sequence<UInt8>) throws(JSONParseError) {
        self = try JSONParser.parse(bytes)
    }
}
