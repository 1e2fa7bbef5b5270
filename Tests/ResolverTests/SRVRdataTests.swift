import MailDiscovery
import Resolver
import Testing

@Suite struct SRVRdataTests {
    /// `_imaps._tcp SRV 10 60 993 Mail.Example.NET.` in wire form.
    static let mail: [UInt8] = [0, 10, 0, 60, 0x03, 0xE1,
                                4] + Array("Mail".utf8) + [7] + Array("Example".utf8) + [3] + Array("NET".utf8) + [0]

    @Test func parsesFieldsBigEndianAndLowerCasesTarget() {
        #expect(SRVRdata.parse(Self.mail) == SRVRecord(priority: 10, weight: 60, port: 993, target: "mail.example.net"))
    }

    @Test func parsesLargeValues() {
        let rdata: [UInt8] = [0xFF, 0xFE, 0x01, 0x00, 0xFF, 0xFF, 1, UInt8(ascii: "a"), 0]
        #expect(SRVRdata.parse(rdata) == SRVRecord(priority: 65534, weight: 256, port: 65535, target: "a"))
    }

    @Test func rootTargetIsDot() {
        let record = SRVRdata.parse([0, 0, 0, 0, 0, 0, 0])
        #expect(record == SRVRecord(priority: 0, weight: 0, port: 0, target: "."))
        #expect(record?.isNotOffered == true)
    }

    @Test(arguments: [
        ("empty", []),
        ("header only", [0, 1, 0, 1, 0, 25]),
        ("truncated header", [0, 1, 0]),
        ("label overrun", [0, 1, 0, 1, 0, 25, 5, UInt8(ascii: "a"), UInt8(ascii: "b")]),
        ("missing terminator", [0, 1, 0, 1, 0, 25, 1, UInt8(ascii: "a")]),
        ("trailing bytes", [0, 1, 0, 1, 0, 25, 1, UInt8(ascii: "a"), 0, 0]),
        ("bytes after root", [0, 1, 0, 1, 0, 25, 0, 7]),
        ("compression pointer", [0, 1, 0, 1, 0, 25, 0xC0, 0x0C]),
        ("label length 64", [0, 1, 0, 1, 0, 25, 64] + [UInt8](repeating: 0x61, count: 64) + [0]),
        ("dot inside label", [0, 1, 0, 1, 0, 25, 3, 0x61, UInt8(ascii: "."), 0x62, 0]),
        ("space inside label", [0, 1, 0, 1, 0, 25, 3, 0x61, 0x20, 0x62, 0]),
        ("NUL inside label", [0, 1, 0, 1, 0, 25, 2, 0x61, 0x00, 0]),
        ("non-ASCII byte", [0, 1, 0, 1, 0, 25, 2, 0xC3, 0xBC, 0]),
        ("backslash", [0, 1, 0, 1, 0, 25, 1, UInt8(ascii: "\\"), 0]),
    ] as [(String, [UInt8])])
    func rejectsMalformed(_ name: String, _ rdata: [UInt8]) {
        #expect(SRVRdata.parse(rdata) == nil, "\(name)")
    }

    @Test func nameOver255OctetsIsRejectedAndAt255Accepted() {
        // 4 labels of 63 + 1 of 1: wire length 4*64 + 2 + 1 = 259 > 255.
        let label63 = [63] + [UInt8](repeating: 0x61, count: 63)
        let tooLong = [0, 1, 0, 1, 0, 25] + label63 + label63 + label63 + label63 + [1, 0x62, 0]
        #expect(SRVRdata.parse(tooLong) == nil)
        // 3 labels of 63 + one of 61: 3*64 + 62 + 1 = 255.
        let max = [0, 1, 0, 1, 0, 25] + label63 + label63 + label63 + [61] + [UInt8](repeating: 0x62, count: 61) + [0]
        #expect(SRVRdata.parse(max)?.target.utf8.count == 253)
    }

    @Test func everyPrefixOfAValidRdataIsHandledWithoutTrapping() {
        for count in 0 ..< Self.mail.count {
            #expect(SRVRdata.parse(Array(Self.mail.prefix(count))) == nil)
        }
    }

    /// Passes by not trapping; a quick local stand-in for the fuzzer.
    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 20_000 {
            let count = Int.random(in: 0 ... 40, using: &generator)
            var bytes = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            if count > 7, Bool.random(using: &generator) {   // make plausible names likelier
                bytes[6] = UInt8(min(count - 8, 63))
                bytes[count - 1] = 0
            }
            _ = SRVRdata.parse(bytes)
        }
    }
}
