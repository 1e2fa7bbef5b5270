import Foundation
import Testing
@testable import MailDiscovery

/// Per-uid confirmations of SRV targets (CLIENTS.md §2).
@Suite struct TrustStoreTests {
    func target(_ domain: String, _ host: String) throws -> TrustedTarget {
        try TrustedTarget(domain: domain, host: host)
    }

    @Test func namesAreStoredAsLowerCaseALabelsWithoutTheTrailingDot() throws {
        let target = try target("Bücher.Example.NET.", "IMAP.bücher.example.net")
        #expect(target.domain == "xn--bcher-kva.example.net")
        #expect(target.host == "imap.xn--bcher-kva.example.net")
        #expect(throws: TrustedTargetError.host(.badLabel("a@b"))) { try TrustedTarget(domain: "example.net", host: "a@b.example.net") }
        #expect(throws: TrustedTargetError.domain(.empty)) { try TrustedTarget(domain: "", host: "imap.example.net") }
        #expect(throws: TrustedTargetError.host(.whitespace)) { try TrustedTarget(domain: "example.net", host: "imap example.net") }
        #expect(throws: TrustedTargetError.host(.emptyLabel)) { try TrustedTarget(domain: "example.net", host: "imap..example.net") }
        #expect(throws: TrustedTargetError.domain(.labelTooLong(String(repeating: "a", count: 64)))) {
            try TrustedTarget(domain: String(repeating: "a", count: 64) + ".net", host: "imap.example.net")
        }
    }

    @Test func eachUIDSeesAndChangesOnlyItsOwnConfirmations() throws {
        var store = TrustStore()
        let gmail = try target("gmail.com", "imap.gmail.com")
        let added = try store.trust(gmail, uid: 1000)
        #expect(added)
        let addedAgain = try store.trust(gmail, uid: 1000)
        #expect(addedAgain == false, "already there")
        #expect(store.targets(of: 1000) == [gmail])
        #expect(store.targets(of: 1001).isEmpty)
        let removedByOther = store.untrust(gmail, uid: 1001)
        #expect(removedByOther == false)
        #expect(store.targets(of: 1000) == [gmail])
        let removed = store.untrust(gmail, uid: 1000)
        #expect(removed)
        let removedAgain = store.untrust(gmail, uid: 1000)
        #expect(removedAgain == false)
        #expect(store.targets(of: 1000).isEmpty)
    }

    @Test func verifyNamesGainTheConfirmedHostsOfThatDomainOnly() throws {
        var store = TrustStore()
        _ = try store.trust(target("gmail.com", "imap.gmail.com"), uid: 1000)
        _ = try store.trust(target("example.net", "smtp.gmail.com"), uid: 1000)
        let hosts = ["imap.gmail.com", "smtp.gmail.com", "pop.gmail.com"]
        #expect(store.verifyNames(["gmail.com"], uid: 1000, domain: "gmail.com", hosts: hosts) == ["gmail.com", "imap.gmail.com"])
        #expect(store.verifyNames(["gmail.com"], uid: 1001, domain: "gmail.com", hosts: hosts) == ["gmail.com"])
        #expect(store.verifyNames(["gmail.com"], uid: 1000, domain: "gmail.com", hosts: ["pop.gmail.com"]) == ["gmail.com"],
                "only a host that is a candidate")
        #expect(store.verifyNames(["gmail.com", "imap.gmail.com"], uid: 1000, domain: "gmail.com",
                                  hosts: ["imap.gmail.com", "imap.gmail.com"]) == ["gmail.com", "imap.gmail.com"], "each name once")
    }

    @Test func aUIDKeepsAtMostItsLimitAndOtherUIDsAreNotAffected() throws {
        var store = TrustStore()
        for index in 0..<TrustStore.maxPerUID {
            let added = try store.trust(target("example.net", "m\(index).example.net"), uid: 1000)
            #expect(added)
        }
        #expect(throws: TrustStoreFull()) { try store.trust(target("example.net", "one-more.example.net"), uid: 1000) }
        let addedAgain = try store.trust(target("example.net", "m7.example.net"), uid: 1000)
        #expect(addedAgain == false, "one it has is no new one")
        let addedByOther = try store.trust(target("example.net", "m0.example.net"), uid: 1001)
        #expect(addedByOther)
        let removed = store.untrust(try target("example.net", "m0.example.net"), uid: 1000)
        #expect(removed)
        let addedAfterRemoval = try store.trust(target("example.net", "one-more.example.net"), uid: 1000)
        #expect(addedAfterRemoval)
        #expect(store.targets(of: 1000).count == TrustStore.maxPerUID)
    }

    @Test func theFileKeepsEveryUIDsConfirmationsAndLoadingChecksThem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("trust.json")
        var store = TrustStore()
        _ = try store.trust(target("gmail.com", "imap.gmail.com"), uid: 1000)
        _ = try store.trust(target("example.net", "mail.example.net"), uid: 1001)
        try TrustFile.save(store, to: file)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let loaded = try TrustFile.load(from: file)
        #expect(loaded.snapshot == store.snapshot)

        // A file edited by hand: names not in stored form are dropped, and a uid keeps its limit.
        var tooMany = (0..<(TrustStore.maxPerUID + 10)).map { ["domain": "example.net", "host": "m\($0).example.net"] }
        tooMany.append(["domain": "Example.NET", "host": "imap.example.net"])
        tooMany.append(["domain": "example.net", "host": "bad host"])
        let contents: [Any] = [1000, tooMany, 1001, [["domain": "gmail.com", "host": "imap.gmail.com"]]]
        let json = try JSONSerialization.data(withJSONObject: ["version": 1, "contents": contents])
        try json.write(to: file)
        let checked = try TrustFile.load(from: file)
        #expect(checked.targets(of: 1000).count == TrustStore.maxPerUID)
        #expect(checked.targets(of: 1000).allSatisfy { $0.host.hasPrefix("m") && $0.domain == "example.net" })
        #expect(checked.targets(of: 1001) == [try target("gmail.com", "imap.gmail.com")])

        try Data("{\"version\": 1, \"contents\": [1000, [{\"domain\": 3}]]}".utf8).write(to: file)
        #expect(throws: (any Error).self) { try TrustFile.load(from: file) }
    }
}
