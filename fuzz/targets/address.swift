// libFuzzer target: MailDiscovery.MailAddress(parsing:) — every email address a local
// user sends ends up here (UTF-8 text, IDNA through libidn2).
//
// Properties checked beyond "no crash / no ASan report":
//   - a parsed domain is at most 253 octets of lower-case LDH labels of 1…63 octets,
//     no label starting or ending with "-";
//   - parsing is idempotent: the domain parses to itself;
//   - the local part is what came before the last "@".
import MailDiscovery

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMailAddress(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    let text = String(decoding: bytes, as: UTF8.self)
    guard let address = try? MailAddress(parsing: text) else { return 0 }
    let domain = address.domain
    precondition(!domain.isEmpty && domain.utf8.count <= 253, "domain length \(domain.utf8.count)")
    for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
        precondition(!label.isEmpty && label.utf8.count <= 63, "label length in \(domain)")
        precondition(label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D },
                     "non-LDH byte in \(domain)")
        precondition(label.first != "-" && label.last != "-", "hyphen at a label end in \(domain)")
    }
    guard let again = try? MailAddress(parsing: domain) else {
        preconditionFailure("the parsed domain \(domain) does not parse again")
    }
    precondition(again.domain == domain && again.localPart == nil, "not idempotent: \(domain) → \(again.domain)")
    // The last '@' byte, as the parser splits (a Character may hold an '@' after a
    // prepended mark such as U+0600, which Character-based lastIndex(of:) would not see).
    if let at = text.utf8.lastIndex(of: UInt8(ascii: "@")) {
        precondition(address.localPart == String(text[..<at]), "local part differs")
    } else {
        precondition(address.localPart == nil, "local part without @")
    }
    return 0
}
