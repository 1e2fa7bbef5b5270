import KnotHarness
import MailDiscovery
import Testing

/// `dnssec` and `verifyNames` with the signed zone secure.example.org and its DS as anchor.
@Suite struct DNSSECDiscoveryTests {
    @Test func aSecureSRVAnswerAddsItsTargetToTheCertificateNames() async throws {
        let knot = try await SharedKnot.server()
        let anchor = try #require(knot.dsRecord)
        let rig = try Rig(knot, anchors: [anchor])
        let result = try await rig.discovery.lookup(email: "a@secure.example.org", want: .single(.imaps))
        #expect(result.dnssec == .secure)
        #expect(result.summary == ["imaps mail.secure.example.org:993"])
        #expect(result.verifyNames == ["secure.example.org", "mail.secure.example.org"])
    }

    @Test func retrievalOfASignedDomainIsSecureAndNamesEverySecureTarget() async throws {
        let knot = try await SharedKnot.server()
        let rig = try Rig(knot, anchors: [try #require(knot.dsRecord)])
        let result = try await rig.discovery.lookup(email: "a@secure.example.org")
        #expect(result.dnssec == .secure)
        #expect(result.summary == ["imaps mail.secure.example.org:993", "imap imap1.example.net:143"])
        // The imap SRV answer is secure too, so its (unsigned) target is a valid name as well.
        #expect(result.verifyNames == ["secure.example.org", "mail.secure.example.org", "imap1.example.net"])
    }

    @Test func withoutATrustAnchorNothingIsSecureAndOnlyTheDomainIsNamed() async throws {
        let rig = try Rig(try await SharedKnot.server())
        let result = try await rig.discovery.lookup(email: "a@secure.example.org", want: .single(.imaps))
        #expect(result.dnssec == .insecure)
        #expect(result.verifyNames == ["secure.example.org"])
    }

    @Test func aWrongAnchorMakesTheAnswerBogusAndStrictModeRefusesIt() async throws {
        let knot = try await SharedKnot.server()
        let anchor = try #require(knot.dsRecord)
        // Same key tag and algorithm, wrong digest.
        var words = anchor.split(separator: " ").map(String.init)
        words[words.count - 1] = String(repeating: "0", count: 64)
        let wrong = words.joined(separator: " ")
        let permissive = try Rig(knot, anchors: [wrong])
        let result = try await permissive.discovery.lookup(email: "a@secure.example.org", want: .single(.imaps), resolve: false)
        #expect(result.dnssec == .bogus)
        #expect(result.verifyNames == ["secure.example.org"])
        let strict = try Rig(knot, dnssec: .strict, anchors: [wrong])
        await #expect {
            try await strict.discovery.lookup(email: "a@secure.example.org", want: .single(.imaps))
        } throws: { error in
            guard case .resolutionFailed(let domain, _) = error as? DiscoveryError else { return false }
            return domain == "secure.example.org"
        }
    }
}
