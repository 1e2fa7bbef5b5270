/// Why bytes are not JSON text, and where.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Offset of the byte where parsing stopped.
    public var offset: Int
    public var reason: String

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 parser of one JSON text into a ``JSONValue``, working on the bytes
/// in place: every Varlink message a client sends goes through it.
///
/// - Strings must be valid UTF-8 without raw control characters; escapes are decoded,
///   `\u` surrogates only as pairs.
/// - Numbers written without fraction or exponent that fit in `Int` become `.int`; the
///   rest `.double` (finite only).
/// - Objects and arrays nest at most ``maxDepth`` deep, so no message can exhaust the stack.
/// - Of repeated object keys, the last wins.
struct JSONParser: ~Copyable {
    /// Deepest nesting of objects and arrays accepted.
    static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The value of `text`, which must hold exactly one JSON value (and whitespace).
    static func parse(_ text: some Sequence<UInt8>) throws(JSONParseError) -> JSONValue {
        let parsed = text.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try parseContiguous(buffer) }
        } ?? Array(text).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) in try parseContiguous(buffer) }
        }
        return try parsed.get()
    }

    private static func parseContiguous(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: buffer)
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.offset == buffer.count else { throw parser.error("unexpected data after the value") }
        return value
    }

    // MARK: Values

    private mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw error("unexpected end of text") }
        switch byte {
        case UInt8(ascii: "{"): return .object(try object())
        case UInt8(ascii: "["): return .array(try array())
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    private mutating func object() throws(JSONParseError) -> JSONObject {
        try enterContainer()
        defer { depth -= 1 }
        var members: JSONObject = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return members }
        repeat {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw error("expected ':'") }
            members[key] = try value()
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")) else { throw error("expected ',' or '}'") }
        return members
    }

    private mutating func array() throws(JSONParseError) -> [JSONValue] {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return elements }
        repeat {
            elements.append(try value())
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "]")) else { throw error("expected ',' or ']'") }
        return elements
    }

    /// Steps over the opening `{` or `[`, counting the depth.
    private mutating func enterContainer() throws(JSONParseError) {
        guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth)") }
        depth += 1
        offset += 1
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count,
              UnsafeBufferPointer(rebasing: bytes[offset..<offset + count]).elementsEqual(
                  UnsafeBufferPointer(start: word.utf8Start, count: count))
        else { throw error("unknown literal") }
        offset += count
    }

    // MARK: Strings

    /// A string, the opening quote next.
    private mutating func string() throws(JSONParseError) -> String {
        offset += 1
        let start = offset
        // Most strings have no escape: take their bytes as they are.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return try text(from: UnsafeBufferPointer(rebasing: bytes[start..<offset - 1]))
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in a string") }
            offset += 1
        }
        var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try decoded.withUnsafeBufferPointer { buffer throws(JSONParseError) in try text(from: buffer) }
            case UInt8(ascii: "\\"):
                try escape(into: &decoded)
            case ..<0x20:
                offset -= 1
                throw error("control character in a string")
            default:
                decoded.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private func text(from utf8: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return text
    }

    /// Decodes one escape (the backslash is consumed) and appends its UTF-8.
    private mutating func escape(into decoded: inout [UInt8]) throws(JSONParseError) {
        guard let byte = next() else { throw error("unterminated string") }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hexQuad())
            if (0xD800..<0xDC00).contains(scalar) {
                guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else {
                    throw error("unpaired surrogate")
                }
                let low = UInt32(try hexQuad())
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("unpaired surrogate") }
            decoded.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw error("unknown escape")
        }
    }

    private mutating func hexQuad() throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = next(), let digit = Self.hexDigit(byte) else { throw error("bad \\u escape") }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(JSONParseError) -> JSONValue {
        let start = offset
        _ = consume(UInt8(ascii: "-"))
        if !consume(UInt8(ascii: "0")) {
            guard skipDigits() else { throw error("expected a digit") }
        }
        var isInteger = true
        if consume(UInt8(ascii: ".")) {
            isInteger = false
            guard skipDigits() else { throw error("expected a digit after '.'") }
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            isInteger = false
            _ = consume(UInt8(ascii: "+")) || consume(UInt8(ascii: "-"))
            guard skipDigits() else { throw error("expected a digit in the exponent") }
        }
        // The bytes are ASCII digits and signs only: always a valid String.
        let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger, let integer = Int(literal) { return .int(integer) }
        guard let double = Double(literal), double.isFinite else {
            offset = start
            throw error("number out of range")
        }
        return .double(double)
    }

    /// Steps over one or more digits; false if there is none.
    private mutating func skipDigits() -> Bool {
        let start = offset
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { offset += 1 }
        return offset > start
    }

    // MARK: Bytes

    private func peek() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    private mutating func next() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        offset += 1
        return true
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
              byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t") {
            offset += 1
        }
    }

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(offset: offset, reason: reason)
    }
}
