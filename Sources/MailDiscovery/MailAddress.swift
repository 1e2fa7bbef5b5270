import CIDN2

/// Why a string is not an email address or mail domain (DESIGN.md §1.1).
public enum AddressError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
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

    /// Parses `user@example.net` or `example.net`: the part after the last `@`, one trailing
    /// dot trimmed, lower-cased, converted with IDNA2008 / UTS 46 (non-transitional), then
    /// checked to be a valid host name.
    public init(parsing text: String) throws(AddressError) {
        var domainPart = Substring(text)
        if let at = text.lastIndex(of: "@") {
            let local = text[..<at]
            guard !local.isEmpty else { throw .emptyLocalPart }
            localPart = String(local)
            domainPart = text[text.index(after: at)...]
        } else {
            localPart = nil
        }
        if domainPart.last == "." { domainPart.removeLast() }
        domain = try Self.hostName(from: domainPart)
    }

    private static func hostName(from text: Substring) throws(AddressError) -> String {
        guard !text.isEmpty else { throw .empty }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace { throw .whitespace }
            if scalar.properties.generalCategory == .control { throw .controlCharacter }
        }
        if text.hasPrefix(".") || text.contains("..") { throw .emptyLabel }
        let ascii = try toASCII(String(text))
        guard ascii.utf8.count <= 253 else { throw .nameTooLong(ascii.utf8.count) }
        for label in ascii.split(separator: ".", omittingEmptySubsequences: false) {
            try checkLabel(label)
        }
        return ascii
    }

    /// Letters, digits and hyphens, not at either end, 1–63 octets (RFC 1123 §2.1).
    private static func checkLabel(_ label: Substring) throws(AddressError) {
        guard !label.isEmpty else { throw .emptyLabel }
        guard label.utf8.count <= 63 else { throw .labelTooLong(String(label)) }
        let isLDH = label.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
        }
        guard isLDH, label.first != "-", label.last != "-" else { throw .badLabel(String(label)) }
    }

    /// Lower-cases and, for a non-ASCII name, converts it to A-labels with libidn2.
    private static func toASCII(_ name: String) throws(AddressError) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name.lowercased() }
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
