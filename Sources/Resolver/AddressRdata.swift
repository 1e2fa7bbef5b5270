import Glibc
import MailDiscovery

/// Text form of A (4 bytes) and AAAA (16 bytes) rdata, as `inet_ntop` writes it.
enum AddressRdata {
    /// `nil` when the length does not fit the type.
    static func text(_ rdata: [UInt8], type: RecordType) -> String? {
        let (family, size): (Int32, Int) = switch type {
        case .a: (AF_INET, 4)
        case .aaaa: (AF_INET6, 16)
        case .srv: (-1, -1)
        }
        guard size > 0, rdata.count == size else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = rdata.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else { return nil }
        let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: text, as: UTF8.self)
    }
}
