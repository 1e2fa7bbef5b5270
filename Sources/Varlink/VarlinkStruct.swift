/// A Varlink struct with Swift types: a `type` of an interface, or the input or output
/// parameters of a method. Its members are listed once, in ``members(_:)``, which serves
/// both directions: ``JSONWriter`` writes them (the reply's bytes, no tree in between) and
/// ``init(parameters:)`` reads them, so a member's name is spelled in one place only.
///
///     public struct Ping: VarlinkStruct {
///         public var text = ""
///         public var count: Int? = nil       // `?int`: optional, left out when nil
///
///         public init() {}                   // empty, for reading
///         public init(text: String, count: Int?) { self.text = text; self.count = count }
///
///         public mutating func members<M: VarlinkMembers>(_ m: inout M) throws(M.Failure) {
///             try m.member("text", &text)
///             try m.member("count", &count)
///         }
///     }
///
/// To add a member: declare it (with an empty default), add it to the memberwise
/// initializer, and hand it on in ``members(_:)`` at its place in the interface file.
public protocol VarlinkStruct: VarlinkValue {
    /// Every member empty; reading fills them in.
    init()

    /// Hands every member to `members`, by name, in the interface's order.
    mutating func members<M: VarlinkMembers>(_ members: inout M) throws(M.Failure)
}

/// What ``VarlinkStruct/members(_:)`` hands its members to: a writer, a reader, or a
/// test listing them.
public protocol VarlinkMembers {
    associatedtype Failure: Error

    /// One member: its name in the interface and its value (read or replaced).
    mutating func member<Value: VarlinkValue>(_ name: StaticString, _ value: inout Value) throws(Failure)
}

extension VarlinkStruct {
    /// Reads the struct from parameters; members it does not know are ignored.
    public init(parameters: JSONObject) throws(VarlinkDecodingError) {
        self.init()
        var reader = MemberReader(object: parameters)
        try members(&reader)
    }

    public init(json: JSONValue) throws(VarlinkDecodingError) {
        guard case .object(let object) = json else { throw .expected("object") }
        try self.init(parameters: object)
    }

    @inlinable
    public func write(to json: inout JSONWriter) {
        var copy = self
        json.beginObject()
        copy.members(&json)
        json.endObject()
    }

    /// The struct as a parameters object (for calls and error replies; replies are
    /// written with ``VarlinkReply/init(encoding:capacity:)``).
    public var parameters: JSONObject {
        var json = JSONWriter()
        write(to: &json)
        // What a JSONWriter writes parses.
        return (try? JSONObject(message: json.bytes)) ?? [:]
    }

    /// The struct's own name, as its interface declares it: `type Endpoint (…)`.
    public static var varlinkType: String { String(describing: Self.self) }
}

extension JSONWriter: VarlinkMembers {
    public typealias Failure = Never

    /// Writes a member, leaving out an absent one.
    @inlinable
    public mutating func member<Value: VarlinkValue>(_ name: StaticString, _ value: inout Value) {
        guard !value.isAbsent else { return }
        key(name)
        value.write(to: &self)
    }
}

/// Reads members from a parameters object.
struct MemberReader: VarlinkMembers {
    let object: JSONObject

    mutating func member<Value: VarlinkValue>(_ name: StaticString, _ value: inout Value) throws(VarlinkDecodingError) {
        let key = name.description
        switch object[key] {
        case nil, .null?:
            guard let absent = Value.absentValue else { throw VarlinkDecodingError(path: [key], problem: "missing") }
            value = absent
        case let json?:
            do {
                value = try Value(json: json)
            } catch {
                throw error.inside(key)
            }
        }
    }
}

extension VarlinkReply {
    /// A successful reply whose parameters are `parameters`, written straight into its
    /// bytes; `capacity` is a guess of their size.
    @inlinable
    public init(encoding parameters: some VarlinkStruct, capacity: Int = 256) {
        var json = JSONWriter(capacity: capacity)
        parameters.write(to: &json)
        self.init(encodedParameters: json)
    }
}

extension VarlinkCall {
    /// The call's parameters as `Parameters`; a missing or mistyped member is
    /// `org.varlink.service.InvalidParameter` naming it.
    public func parameters<Parameters: VarlinkStruct>(as type: Parameters.Type) throws(VarlinkError) -> Parameters {
        do {
            return try Parameters(parameters: parameters)
        } catch {
            throw .invalidParameter(error.parameter)
        }
    }
}
