/// A value a typed Varlink struct (``VarlinkStruct``) holds in a member: written straight
/// into a message's bytes with ``JSONWriter`` and read back from a parsed ``JSONValue``.
///
/// `String`, `Int`, `Bool`, arrays and optionals of such values, and every
/// ``VarlinkStruct`` are values.
public protocol VarlinkValue: Sendable, Hashable {
    /// Writes the value.
    func write(to json: inout JSONWriter)

    /// Reads the value; throws when `json` does not have its type.
    init(json: JSONValue) throws(VarlinkDecodingError)

    /// Its type in the Varlink interface definition language: `string`, `[]Endpoint`, `?int`.
    static var varlinkType: String { get }

    /// The value of a member that is absent (or `null`): nil when the member is required.
    static var absentValue: Self? { get }

    /// Whether a member holding it is left out when written (an optional that is nil).
    var isAbsent: Bool { get }
}

extension VarlinkValue {
    public static var absentValue: Self? { nil }
    public var isAbsent: Bool { false }
}

/// Why parameters do not have the members a ``VarlinkStruct`` needs: the path to the
/// member at fault (`["candidates", "0", "port"]`) and what is wrong with it.
public struct VarlinkDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Member names and array indexes from the outermost parameter in.
    public var path: [String]
    /// `missing`, or `expected TYPE`.
    public var problem: String

    public init(path: [String] = [], problem: String) {
        self.path = path
        self.problem = problem
    }

    /// The parameter of the message at fault: the first element of the path.
    public var parameter: String { path.first ?? "parameters" }

    public var description: String { "\(path.isEmpty ? "parameters" : path.joined(separator: ".")): \(problem)" }

    static func expected(_ type: String) -> VarlinkDecodingError { VarlinkDecodingError(problem: "expected \(type)") }

    /// The same error, one level further out.
    func inside(_ name: String) -> VarlinkDecodingError {
        VarlinkDecodingError(path: [name] + path, problem: problem)
    }
}

extension String: VarlinkValue {
    @inlinable
    public func write(to json: inout JSONWriter) { json.string(self) }

    public init(json: JSONValue) throws(VarlinkDecodingError) {
        guard case .string(let value) = json else { throw .expected(Self.varlinkType) }
        self = value
    }

    public static var varlinkType: String { "string" }
}

extension Int: VarlinkValue {
    @inlinable
    public func write(to json: inout JSONWriter) { json.int(self) }

    public init(json: JSONValue) throws(VarlinkDecodingError) {
        guard case .int(let value) = json else { throw .expected(Self.varlinkType) }
        self = value
    }

    public static var varlinkType: String { "int" }
}

extension Bool: VarlinkValue {
    @inlinable
    public func write(to json: inout JSONWriter) { json.bool(self) }

    public init(json: JSONValue) throws(VarlinkDecodingError) {
        guard case .bool(let value) = json else { throw .expected(Self.varlinkType) }
        self = value
    }

    public static var varlinkType: String { "bool" }
}

extension Array: VarlinkValue where Element: VarlinkValue {
    @inlinable
    public func write(to json: inout JSONWriter) {
        json.beginArray()
        for element in self { element.write(to: &json) }
        json.endArray()
    }

    public init(json: JSONValue) throws(VarlinkDecodingError) {
        guard case .array(let elements) = json else { throw .expected(Self.varlinkType) }
        self = []
        reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do {
                append(try Element(json: element))
            } catch {
                throw error.inside(String(index))
            }
        }
    }

    public static var varlinkType: String { "[]" + Element.varlinkType }
}

extension Optional: VarlinkValue where Wrapped: VarlinkValue {
    @inlinable
    public func write(to json: inout JSONWriter) {
        if let self { self.write(to: &json) } else { json.null() }
    }

    public init(json: JSONValue) throws(VarlinkDecodingError) {
        self = .some(try Wrapped(json: json))
    }

    public static var varlinkType: String { "?" + Wrapped.varlinkType }
    public static var absentValue: Self? { .some(nil) }
    @inlinable
    public var isAbsent: Bool { self == nil }
}
