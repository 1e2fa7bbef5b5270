/// Text made safe for an XML 1.0 document, in element content and in attribute values
/// alike: the five markup characters become entities, and characters XML 1.0 does not
/// allow at all (most C0 controls, lone surrogates cannot occur in a Swift string,
/// U+FFFE, U+FFFF) become U+FFFD. Whatever a DNS answer holds, it stays text.
public func xmlEscaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
            result.unicodeScalars.append("\u{FFFD}")
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}
