import MailDiscovery
@testable import Resolver
import Testing

/// The ub_result → DNSAnswer rules, on hand-made results (the Knot tests cover real ones).
@Suite struct AnswerMappingTests {
    @Test func servfailAndOtherRcodesFail() {
        for (rcode, word) in [(2, "SERVFAIL"), (5, "REFUSED"), (1, "FORMERR"), (9, "rcode 9")] as [(Int32, String)] {
            let result = UnboundAnswer(rcode: rcode, havedata: false, ttl: 32768).answer(type: .srv, mode: .permissive)
            guard case .failure(let failure) = result else {
                Issue.record("rcode \(rcode) gave \(result)")
                continue
            }
            #expect(failure.reason.contains(word))
        }
    }

    @Test func bogusIsReportedWhenPermissiveAndFailsWhenStrict() throws {
        let a = UnboundAnswer(rcode: 0, havedata: true, bogus: true, whyBogus: "signature expired",
                              ttl: 30, rdata: [[127, 0, 0, 1]])
        #expect(try a.answer(type: .a, mode: .permissive).get()
                == DNSAnswer(outcome: .records, addresses: ["127.0.0.1"], ttl: 30, dnssec: .bogus))
        guard case .failure(let failure) = a.answer(type: .a, mode: .strict) else {
            Issue.record("strict bogus did not fail")
            return
        }
        #expect(failure.reason == "DNSSEC bogus: signature expired")
    }

    @Test func negativeAnswersKeepTheirTTL() throws {
        #expect(try UnboundAnswer(rcode: 3, havedata: false, nxdomain: true, ttl: 60)
            .answer(type: .srv, mode: .permissive).get() == DNSAnswer(outcome: .noDomain, ttl: 60, dnssec: .insecure))
        #expect(try UnboundAnswer(rcode: 0, havedata: false, secure: true, ttl: 45)
            .answer(type: .aaaa, mode: .strict).get() == DNSAnswer(outcome: .noData, ttl: 45, dnssec: .secure))
    }

    @Test func malformedRecordsAreSkippedAndAllMalformedFails() throws {
        let good: [UInt8] = [0, 5, 0, 1, 0, 143, 1, UInt8(ascii: "x"), 0]
        let mixed = UnboundAnswer(rcode: 0, havedata: true, ttl: 10, rdata: [[0, 1], good])
        #expect(try mixed.answer(type: .srv, mode: .off).get().services
                == [SRVRecord(priority: 5, weight: 1, port: 143, target: "x")])
        let bad = UnboundAnswer(rcode: 0, havedata: true, ttl: 10, rdata: [[1, 2, 3]])
        #expect(throws: ResolutionFailure.self) { try bad.answer(type: .a, mode: .off).get() }
    }

    @Test func addressesInTextForm() {
        #expect(AddressRdata.text([192, 0, 2, 1], type: .a) == "192.0.2.1")
        #expect(AddressRdata.text([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x12], type: .aaaa)
                == "2001:db8::12")
        #expect(AddressRdata.text([1, 2, 3], type: .a) == nil)
        #expect(AddressRdata.text([1, 2, 3, 4], type: .aaaa) == nil)
    }
}
