import MailDiscovery

/// What the autoconfig endpoint does with one request (CLIENTS.md §4): look a mail domain
/// up, or answer at once. Pure: method and request target in, route out (fuzzed).
public enum AutoconfigRoute: Equatable, Sendable {
    /// Look up the servers of this mail domain (A-label form) and answer with them.
    case lookup(domain: String)
    /// Answer this without a lookup.
    case reply(AutoconfigReply)
}

/// The two paths of CLIENTS.md §4, and nothing else:
///
/// - `GET /v1.1/DOMAIN` (Thunderbird appends the domain to `mailnews.auto_config_url`);
///   a query string is ignored;
/// - `GET /mail/config-v1.1.xml?emailaddress=ADDRESS` (the provider-side form).
///
/// Any other method is 405, any other path 404, a domain or address that is not one
/// (or is missing, or is badly percent-encoded) 400.
public enum AutoconfigRequest {
    static let domainPrefix = "/v1.1/"
    static let addressPath = "/mail/config-v1.1.xml"

    public static func route(method: String, target: String) -> AutoconfigRoute {
        guard method == "GET" else { return .reply(.methodNotAllowed) }
        let path: Substring, query: Substring?
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            query = target[target.index(after: mark)...]
        } else {
            (path, query) = (target[...], nil)
        }
        if path.hasPrefix(domainPrefix) {
            let domain = percentDecoded(path.dropFirst(domainPrefix.count))
            guard let domain, !domain.contains("@") else { return .reply(.invalidDomain) }
            return mailDomain(domain)
        }
        if path == addressPath {
            let value = query?.split(separator: "&").first { $0.hasPrefix("emailaddress=") }
            guard let value, let address = percentDecoded(value.dropFirst("emailaddress=".count)),
                  address.contains("@") else { return .reply(.invalidDomain) }
            return mailDomain(address)
        }
        return .reply(.notFound)
    }

    private static func mailDomain(_ text: String) -> AutoconfigRoute {
        guard let address = try? MailAddress(parsing: text) else { return .reply(.invalidDomain) }
        return .lookup(domain: address.domain)
    }

    /// `text` with its `%XX` escapes decoded as UTF-8 (a `+` stays a `+`: it is common in
    /// local parts, and Thunderbird escapes with `encodeURIComponent`); nil when an escape
    /// is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The value of an ASCII hex digit (no other byte is one: a byte's scalar is at most U+00FF).
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        Character(Unicode.Scalar(byte)).hexDigitValue.map(UInt8.init)
    }
}
