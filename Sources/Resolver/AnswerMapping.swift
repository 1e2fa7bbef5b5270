import CUnbound
import MailDiscovery

/// The fields of a `ub_result` that mailsrvd uses, copied out so the C result can be
/// freed at once.
struct UnboundAnswer: Sendable {
    var rcode: Int32
    var havedata: Bool
    var nxdomain: Bool
    var secure: Bool
    var bogus: Bool
    var whyBogus: String?
    var ttl: Int32
    var rdata: [[UInt8]]

    init(_ result: UnsafePointer<ub_result>) {
        let r = result.pointee
        rcode = r.rcode
        havedata = r.havedata != 0
        nxdomain = r.nxdomain != 0
        secure = r.secure != 0
        bogus = r.bogus != 0
        whyBogus = r.why_bogus.map { String(cString: $0) }
        ttl = r.ttl
        var items: [[UInt8]] = []
        if let data = r.data, let lengths = r.len {
            var i = 0
            while let item = data[i] {
                let count = max(0, Int(lengths[i]))
                items.append(Array(UnsafeRawBufferPointer(start: item, count: count)))
                i += 1
            }
        }
        rdata = items
    }

    init(rcode: Int32, havedata: Bool, nxdomain: Bool = false, secure: Bool = false,
         bogus: Bool = false, whyBogus: String? = nil, ttl: Int32, rdata: [[UInt8]] = []) {
        self.rcode = rcode
        self.havedata = havedata
        self.nxdomain = nxdomain
        self.secure = secure
        self.bogus = bogus
        self.whyBogus = whyBogus
        self.ttl = ttl
        self.rdata = rdata
    }

    /// Maps the libunbound result to mailsrvd's answer (DESIGN.md §4):
    /// NOERROR with data → `.records`, NOERROR without → `.noData`, NXDOMAIN → `.noDomain`
    /// (TTL: SOA-derived), anything else → failure. In strict mode a bogus answer fails.
    func answer(type: RecordType, mode: DNSSECMode) -> Result<DNSAnswer, ResolutionFailure> {
        let status: DNSSECStatus = secure ? .secure : bogus ? .bogus : .insecure
        if bogus, mode == .strict {
            return .failure(ResolutionFailure(
                reason: "DNSSEC bogus: \(whyBogus ?? "validation failed")"))
        }
        let ttl = UInt32(clamping: max(0, self.ttl))
        switch rcode {
        case 0 where havedata:
            var answer = DNSAnswer(outcome: .records, ttl: ttl, dnssec: status)
            switch type {
            case .srv: answer.services = rdata.compactMap(SRVRdata.parse)
            case .a, .aaaa: answer.addresses = rdata.compactMap { AddressRdata.text($0, type: type) }
            }
            if answer.services.isEmpty && answer.addresses.isEmpty {
                return .failure(ResolutionFailure(
                    reason: "malformed \(type.rawValue) answer: no record could be decoded"))
            }
            return .success(answer)
        case 0:
            return .success(DNSAnswer(outcome: .noData, ttl: ttl, dnssec: status))
        case 3:
            return .success(DNSAnswer(outcome: .noDomain, ttl: ttl, dnssec: status))
        default:
            var reason = Self.rcodeName(rcode)
            if let whyBogus { reason += " (\(whyBogus))" }
            return .failure(ResolutionFailure(reason: reason))
        }
    }

    static func rcodeName(_ rcode: Int32) -> String {
        switch rcode {
        case 1: "FORMERR"
        // libunbound answers SERVFAIL for an upstream's SERVFAIL and REFUSED alike, and
        // when it could not send; a silent upstream ends in the engine's timeout instead.
        case 2: "SERVFAIL (the upstream failed or refused the query, or could not be reached)"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        default: "DNS rcode \(rcode)"
        }
    }
}
