import Testing

@testable import MailDiscovery

/// The protocol's `want` strings (DESIGN.md §1.2).
@Suite struct WantTests {
    @Test func everyWantParsesFromItsOwnNameAndQueriesItsServices() throws {
        let expected: [String: [MailService]] = [
            "retrieval": [.imaps, .imap, .pop3s, .pop3],
            "submission": [.submissions, .submission],
            "imap-group": [.imaps, .imap],
            "pop3-group": [.pop3s, .pop3],
            "imaps": [.imaps], "imap": [.imap], "pop3s": [.pop3s], "pop3": [.pop3], "submissions": [.submissions],
        ]
        for (name, services) in expected {
            let want = try #require(Want(name), "\(name)")
            #expect(want.name == name)
            #expect(want.services == services)
        }
    }

    @Test func unknownWantsAreRejected() {
        for text in ["", "IMAP-GROUP", "imap-groups", "submission-group", "smtp", "group", " imap"] {
            #expect(Want(text) == nil, "\(text)")
        }
    }
}
