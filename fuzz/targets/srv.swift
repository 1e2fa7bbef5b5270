// libFuzzer target: Resolver.SRVRdata.parse — SRV rdata and the uncompressed wire name
// inside it, exactly the bytes libunbound hands over from the network.
//
// Properties checked beyond "no crash / no ASan report":
//   - a parsed target is "." or dot-separated labels of 1…63 printable ASCII bytes,
//     lower case, without "." or "\" inside a label;
//   - encoding the result again gives the input back (up to letter case): the parser
//     neither invents nor drops bytes.
import Resolver
import MailDiscovery

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSRVRdata(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let record = SRVRdata.parse(bytes) else { return 0 }
    var wire: [UInt8] = [UInt8(record.priority >> 8), UInt8(record.priority & 0xFF),
                         UInt8(record.weight >> 8), UInt8(record.weight & 0xFF),
                         UInt8(record.port >> 8), UInt8(record.port & 0xFF)]
    if record.target != "." {
        for label in record.target.split(separator: ".", omittingEmptySubsequences: false) {
            let utf8 = Array(label.utf8)
            precondition(!utf8.isEmpty && utf8.count <= 63, "bad label length in \(record.target)")
            for byte in utf8 {
                precondition(byte > 0x20 && byte < 0x7F && byte != 0x2E && byte != 0x5C, "bad byte in \(record.target)")
                precondition(!(byte >= 0x41 && byte <= 0x5A), "upper case in \(record.target)")
            }
            wire.append(UInt8(utf8.count))
            wire += utf8
        }
    } else {
        precondition(bytes.count == 7, "root target from longer rdata")
    }
    wire.append(0)
    precondition(wire.count <= 6 + 255, "name longer than 255 octets")
    // The name lower-cased (length bytes are < 64, untouched); the 6 fixed bytes as they are.
    let lowered = bytes.prefix(6) + bytes.dropFirst(6).map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }
    precondition(wire == Array(lowered), "re-encoding differs from the input")
    return 0
}
