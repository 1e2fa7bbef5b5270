import Foundation
import KnotHarness
import Testing
import TestSupport

/// The one line a failing `mailsrvctl connect` writes on stderr is in the journal too
/// (`journalctl -t mailsrvctl`), where a user finds it when the client discarded stderr
/// (neomutt does). Checked with a real journald: systemd as PID 1 of its own namespaces,
/// the machine of SystemdServiceTests.
@Suite(.timeLimit(.minutes(3)))
struct ConnectJournalTests {
    @Test(.enabled(if: SystemdMachine.canRun, "needs root, unshare and systemd"))
    func theReasonOfAFailedConnectIsInTheJournal() async throws {
        let knot = try await KnotServer.start(signing: false)
        let machine = try SystemdServiceTests.machine(knot: knot)
        defer { Task { await machine.shutDown(); await knot.stop() } }
        #expect(try await machine.wait("mailsrvd.socket", "active"))

        // nopop.example.net: imaps only, imap1.example.net:993 (127.0.0.11 and ::1), where
        // nothing listens: every candidate refuses, Exhausted. --raw: refused before any TLS,
        // so no trust store is needed.
        let connect = try await machine.run(["/usr/local/bin/mailsrvctl", "connect", "alice@nopop.example.net", "--raw"])
        #expect(connect.status == 69, "\(connect.stderr)")
        #expect(connect.stdout.isEmpty)
        let reason = connect.stderr.trimmingCharacters(in: .newlines)
        #expect(reason.hasPrefix("mailsrvctl connect: ") && !reason.contains("\n"), "\(connect.stderr)")

        // journald stores what it received in its own time: ask until the entry is there.
        var entry: [String: Any]?
        let deadline = ContinuousClock.now + .seconds(30)
        while entry == nil, ContinuousClock.now < deadline {
            let journal = try await machine.run(["journalctl", "--no-pager", "-t", "mailsrvctl", "-o", "json"])
            entry = journal.stdout.split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["MESSAGE"] as? String == reason }
            if entry == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(entry != nil, "no journal entry says \(reason)")
        #expect(entry?["PRIORITY"] as? String == "3")
        #expect(entry?["_TRANSPORT"] as? String == "journal", "sent with journald's native protocol: \(entry ?? [:])")
    }
}
