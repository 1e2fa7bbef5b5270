/// Writes compact JSON text straight into bytes, member by member, so that a reply is
/// encoded without building a ``JSONValue`` tree first.
///
/// Commas are placed by the writer: call ``key(_:)`` before each member's value, and
/// write values one after another.
///
///     var json = JSONWriter()
///     json.beginObject()
///     json.key("host"); json.string("imap.example.net")
///     json.key("port"); json.int(993)
///     json.endObject()          // {"host":"imap.example.net","port":993}
///
/// Strings are written as UTF-8 with `"`, `\` and control characters escaped; a
/// non-finite `Double`, which JSON cannot express, is written as `null`.
public struct JSONWriter: Sendable {
    // Inlinable: the daemon writes its replies through it from another module.
    @usableFromInline var storage: [UInt8] = []

    /// The text written so far.
    public var bytes: [UInt8] { storage }

    public init(capacity: Int = 256) {
        storage.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func beginObject() {
        separate()
        storage.append(UInt8(ascii: "{"))
    }

    @inlinable
    public mutating func endObject() {
        storage.append(UInt8(ascii: "}"))
    }

    @inlinable
    public mutating func beginArray() {
        separate()
        storage.append(UInt8(ascii: "["))
    }

    @inlinable
    public mutating func endArray() {
        storage.append(UInt8(ascii: "]"))
    }

    /// The name of the next object member, a literal that needs no escaping (checked in
    /// debug builds); its value comes next.
    @inlinable
    public mutating func key(_ name: StaticString) {
        separate()
        storage.append(UInt8(ascii: "\""))
        let utf8 = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        assert(!utf8.contains(where: Self.needsEscape), "JSON key literal needs escaping: \(name)")
        storage.append(contentsOf: utf8)
        storage.append(UInt8(ascii: "\""))
        storage.append(UInt8(ascii: ":"))
    }

    /// The name of the next object member, any string; its value comes next.
    public mutating func key(named name: String) {
        separate()
        writeQuoted(name)
        storage.append(UInt8(ascii: ":"))
    }

    @inlinable
    public mutating func string(_ value: String) {
        separate()
        writeQuoted(value)
    }

    @inlinable
    public mutating func int(_ value: Int) {
        separate()
        if value < 0 { storage.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        repeat {
            storage.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        } while divisor > 0
    }

    public mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        storage.append(contentsOf: "\(value)".utf8)
    }

    @inlinable
    public mutating func bool(_ value: Bool) {
        separate()
        storage.append(contentsOf: (value ? "true" : "false").utf8)
    }

    @inlinable
    public mutating func null() {
        separate()
        storage.append(contentsOf: "null".utf8)
    }

    /// A whole array of strings.
    @inlinable
    public mutating func strings(_ values: some Sequence<String>) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// A whole ``JSONValue``; object members in key order, so the text is deterministic.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .int(let number): int(number)
        case .double(let number): double(number)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let members): object(members)
        }
    }

    /// A whole object, members in key order.
    public mutating func object(_ members: JSONObject) {
        beginObject()
        for key in members.keys.sorted() {
            self.key(named: key)
            value(members[key]!)
        }
        endObject()
    }

    /// A value written ahead by another writer.
    mutating func encodedValue(_ text: [UInt8]) {
        separate()
        storage.append(contentsOf: text)
    }

    /// A comma, unless this value or key is the first in its object or array, or an
    /// object member's value.
    @inlinable
    mutating func separate() {
        guard let last = storage.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
            storage.append(UInt8(ascii: ","))
        }
    }

    @inlinable
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    @inlinable
    mutating func writeQuoted(_ string: String) {
        storage.append(UInt8(ascii: "\""))
        // Names, hosts and addresses need no escaping: copy them whole.
        let copied = string.utf8.withContiguousStorageIfAvailable { utf8 in
            guard !utf8.contains(where: Self.needsEscape) else { return false }
            storage.append(contentsOf: utf8)
            return true
        }
        if copied != true {
            writeEscaped(string)
        }
        storage.append(UInt8(ascii: "\""))
    }

    /// The string's text with `"`, `\` and control characters escaped.
    @usableFromInline
    mutating func writeEscaped(_ string: String) {
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: storage.append(byte)
            }
        }
    }
}
