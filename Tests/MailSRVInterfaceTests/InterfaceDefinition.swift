/// The declarations of a Varlink interface file, as far as `io.mailsrvd.Discovery` uses
/// the language (https://varlink.org/Interface-Definition): `type`, `method` and `error`
/// with members `name: type` (no nested anonymous structs, no enums). Each member list is
/// normalized to `name: type` strings in order.
struct InterfaceDefinition {
    var name = ""
    var types: [String: [String]] = [:]
    var methods: [String: (parameters: [String], reply: [String])] = [:]
    var errors: [String: [String]] = [:]

    struct SyntaxError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing text: String) throws {
        // Comments run from # to the end of the line.
        let code = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .joined(separator: "\n")
        var rest = Substring(code)
        while let keyword = Self.word(&rest) {
            guard let name = Self.word(&rest) else { throw SyntaxError(description: "\(keyword) without a name") }
            switch keyword {
            case "interface":
                self.name = name
            case "type":
                types[name] = try Self.members(&rest)
            case "error":
                errors[name] = try Self.members(&rest)
            case "method":
                let parameters = try Self.members(&rest)
                guard Self.skip("->", in: &rest) else { throw SyntaxError(description: "method \(name): no ->") }
                methods[name] = (parameters, try Self.members(&rest))
            default:
                throw SyntaxError(description: "unknown keyword \(keyword)")
            }
        }
    }

    /// The next word (letters, digits, dots, `_`), skipping whitespace; nil at the end.
    private static func word(_ rest: inout Substring) -> String? {
        rest = rest.drop { $0.isWhitespace }
        let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }
        guard !word.isEmpty else { return nil }
        rest = rest.dropFirst(word.count)
        return String(word)
    }

    private static func skip(_ token: String, in rest: inout Substring) -> Bool {
        rest = rest.drop { $0.isWhitespace }
        guard rest.hasPrefix(token) else { return false }
        rest = rest.dropFirst(token.count)
        return true
    }

    /// `( name: type, … )` as `["name: type", …]`.
    private static func members(_ rest: inout Substring) throws -> [String] {
        guard skip("(", in: &rest), let close = rest.firstIndex(of: ")") else {
            throw SyntaxError(description: "expected a member list")
        }
        let list = rest[..<close]
        rest = rest[rest.index(after: close)...]
        return try list.split(separator: ",").compactMap { member in
            let parts = member.split(separator: ":", maxSplits: 1).map { $0.filter { !$0.isWhitespace } }
            if parts == [""] || parts.isEmpty { return nil }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw SyntaxError(description: "bad member '\(member)'")
            }
            return "\(parts[0]): \(parts[1])"
        }
    }
}
