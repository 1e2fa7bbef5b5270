import CIDN2

/// Why a string is not an email address or mail domain (DESIGN.md §1.1).
public enum AddressError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    /// An address longer than 254 octets (RFC 5321's limit on a path, less its brackets).
    case addressTooLong(Int)
    case emptyLocalPart
    case whitespace
    case controlCharacter
    /// Two dots in a row, or a leading dot.
    case emptyLabel
    case labelTooLong(String)
    case nameTooLong(Int)
    /// A label with a character that is not a letter, digit or hyphen, or that starts or
    /// ends with a hyphen.
    case badLabel(String)
    /// libidn2 refused the name.
    case idna(String)

    public var description: String {
        switch self {
        case .empty: "empty mail domain"
        case .addressTooLong(let length): "address is \(length) octets, more than 254"
        case .emptyLocalPart: "empty local part before '@'"
        case .whitespace: "contains whitespace"
        case .controlCharacter: "contains a control character"
        case .emptyLabel: "empty label (double or leading dot)"
        case .labelTooLong(let label): "label '\(label)' is longer than 63 octets"
        case .nameTooLong(let length): "name is \(length) octets, more than 253"
        case .badLabel(let label): "label '\(label)' is not a valid host name label"
        case .idna(let reason): "not a valid internationalized domain name: \(reason)"
        }
    }
}

/// An email address (or bare domain) reduced to what discovery needs: the mail domain in
/// A-label form. The local part is kept apart so that it is never logged above debug level.
public struct MailAddress: Hashable, Sendable {
    /// The part before the last `@`; nil for a bare domain.
    public let localPart: String?
    /// Lower-case A-label form, no trailing dot: `example.net`, `xn--bcher-kva.example`.
    public let domain: String

    /// Parses `user@example.net` or `example.net` (at most 254 octets): the part after the last `@`, one trailing
    /// dot trimmed, lower-cased, converted with IDNA2008 / UTS 46 (non-transitional), then
    /// checked to be a valid host name.
    public init(parsing text: String) throws(AddressError) {
        guard text.utf8.count <= 254 else { throw .addressTooLong(text.utf8.count) }
        var domainPart = Substring(text)
        if let at = text.utf8.lastIndex(of: UInt8(ascii: "@")) {
            let local = text[..<at]
            guard !local.isEmpty else { throw .emptyLocalPart }
            localPart = String(local)
            domainPart = text[text.utf8.index(after: at)...]
        } else {
            localPart = nil
        }
        if domainPart.utf8.last == UInt8(ascii: ".") { domainPart.removeLast() }
        domain = try Self.hostName(from: domainPart)
    }

    /// A host name (no `@`) in the same form as ``domain``: one trailing dot trimmed,
    /// lower-cased, A-labels, checked to be a valid host name.
    public static func hostName(parsing text: String) throws(AddressError) -> String {
        var name = Substring(text)
        if name.utf8.last == UInt8(ascii: ".") { name.removeLast() }
        return try hostName(from: name)
    }

    private static func hostName(from text: Substring) throws(AddressError) -> String {
        guard !text.isEmpty else { throw .empty }
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (the usual case): whitespace is HT…CR and space, controls the rest below
            // 0x20 and DEL, as the Unicode properties below would say.
            for byte in text.utf8 {
                if byte == 0x20 || (0x09...0x0D).contains(byte) { throw .whitespace }
                if byte < 0x20 || byte == 0x7F { throw .controlCharacter }
            }
        } else {
            for scalar in text.unicodeScalars {
                if scalar.properties.isWhitespace { throw .whitespace }
                if scalar.properties.generalCategory == .control { throw .controlCharacter }
            }
        }
        let dot = UInt8(ascii: ".")
        if text.utf8.first == dot || zip(text.utf8, text.utf8.dropFirst()).contains(where: { $0 == dot && $1 == dot }) {
            throw .emptyLabel
        }
        let ascii = try toASCII(String(text))
        guard ascii.utf8.count <= 253 else { throw .nameTooLong(ascii.utf8.count) }
        var labelStart = ascii.utf8.startIndex
        while let labelEnd = ascii.utf8[labelStart...].firstIndex(of: dot) {
            try checkLabel(ascii.utf8[labelStart..<labelEnd])
            labelStart = ascii.utf8.index(after: labelEnd)
        }
        try checkLabel(ascii.utf8[labelStart...])
        return ascii
    }

    /// Letters, digits and hyphens, not at either end, 1–63 octets (RFC 1123 §2.1).
    private static func checkLabel(_ label: String.UTF8View.SubSequence) throws(AddressError) {
        guard !label.isEmpty else { throw .emptyLabel }
        guard label.count <= 63 else { throw .labelTooLong(String(Substring(label))) }
        let isLDH = label.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
        }
        guard isLDH, label.first != 0x2D, label.last != 0x2D else { throw .badLabel(String(Substring(label))) }
    }

    /// Lower-cases and, for a non-ASCII name, converts it to A-labels with libidn2.
    private static func toASCII(_ name: String) throws(AddressError) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            return name.utf8.contains(where: { (0x41...0x5A).contains($0) }) ? name.lowercased() : name
        }
        var output: UnsafeMutablePointer<CChar>?
        let flags = Int32(IDN2_NFC_INPUT.rawValue | IDN2_NONTRANSITIONAL.rawValue)
        let status = idn2_to_ascii_8z(name, &output, flags)
        guard status == Int32(IDN2_OK.rawValue), let output else {
            throw .idna(String(cString: idn2_strerror(status)))
        }
        defer { idn2_free(output) }
        return String(cString: output).lowercased()
    }
}
