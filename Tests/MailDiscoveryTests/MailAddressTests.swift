import Testing
@testable import MailDiscovery

@Suite struct MailAddressTests {
    @Test(arguments: [
        ("alice@example.net", "example.net"),
        ("Alice@EXAMPLE.Net", "example.net"),
        ("example.net", "example.net"),
        ("example.net.", "example.net"),
        ("alice@example.net.", "example.net"),
        ("a@b@mail.example.org", "mail.example.org"),
        ("bob@bücher.example", "xn--bcher-kva.example"),
        ("bob@BÜCHER.example", "xn--bcher-kva.example"),
        ("x@xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("user@faß.de", "xn--fa-hia.de"),
        ("user@mail-1.example.net", "mail-1.example.net"),
    ])
    func validAddressesGiveTheALabelDomain(input: String, domain: String) throws {
        #expect(try MailAddress(parsing: input).domain == domain)
    }

    @Test func localPartIsKeptApartAndBareDomainHasNone() throws {
        #expect(try MailAddress(parsing: "Alice@example.net").localPart == "Alice")
        #expect(try MailAddress(parsing: "example.net").localPart == nil)
    }

    @Test(arguments: [
        ("", AddressError.empty),
        ("alice@", .empty),
        (".", .empty),
        ("@example.net", .emptyLocalPart),
        ("alice@exa mple.net", .whitespace),
        ("alice@example.net ", .whitespace),
        ("alice@example\u{0}.net", .controlCharacter),
        ("alice@exa\u{7}mple.net", .controlCharacter),
        ("alice@example..net", .emptyLabel),
        ("alice@.example.net", .emptyLabel),
        ("alice@example.net..", .emptyLabel),
        ("alice@exa_mple.net", .badLabel("exa_mple")),
        ("alice@-example.net", .badLabel("-example")),
        ("alice@example-.net", .badLabel("example-")),
        ("alice@ex!ample.net", .badLabel("ex!ample")),
    ])
    func invalidAddressesNameTheirReason(input: String, reason: AddressError) {
        #expect(throws: reason) { try MailAddress(parsing: input) }
    }

    @Test func aLabelOver63OctetsIsRefused() {
        let label = String(repeating: "a", count: 64)
        #expect(throws: AddressError.labelTooLong(label)) { try MailAddress(parsing: "x@\(label).net") }
        #expect(throws: Never.self) { try MailAddress(parsing: "x@\(String(label.dropLast())).net") }
    }

    @Test func aNameOver253OctetsIsRefused() throws {
        let label = String(repeating: "a", count: 63)
        let long = [label, label, label, String(repeating: "b", count: 58), "net"].joined(separator: ".")
        #expect(long.utf8.count == 254)
        #expect(throws: AddressError.nameTooLong(254)) { try MailAddress(parsing: long) }
        let fits = [label, label, label, String(repeating: "b", count: 58), "ne"].joined(separator: ".")
        #expect(fits.utf8.count == 253)
        #expect(try MailAddress(parsing: fits).domain == fits)
    }

    @Test func idnaRefusalIsReported() {
        // U+2615 HOT BEVERAGE: symbols are DISALLOWED in IDNA2008.
        #expect {
            try MailAddress(parsing: "x@\u{2615}.example")
        } throws: { error in
            guard case .idna = error as? AddressError else { return false }
            return true
        }
    }
}

@Suite struct FieldLengthTests {
    @Test func anAddressOver254OctetsIsInvalid() throws {
        let local = String(repeating: "a", count: 254 - "@example.net".utf8.count)
        #expect(try MailAddress(parsing: local + "@example.net").domain == "example.net")
        #expect(throws: AddressError.addressTooLong(255)) { try MailAddress(parsing: "a" + local + "@example.net") }
        #expect(throws: AddressError.addressTooLong(60_012)) {
            try MailAddress(parsing: String(repeating: "x", count: 60_000) + "@example.net")
        }
    }

    @Test func aClientHostIsAHostNameOfAtMost253Octets() {
        #expect(Discovery.isHostName("ws1.Eng.example-1.net"))
        #expect(Discovery.isHostName(String(repeating: "a.", count: 126) + "a"))
        #expect(!Discovery.isHostName(String(repeating: "a.", count: 127)))
        for bad in ["", "ws1\u{1}.example.net", "ws 1.example.net", "ws1.example.net\n", "wß.example.net", "a_b.example"] {
            #expect(!Discovery.isHostName(bad), "\(bad.debugDescription)")
        }
    }
}
