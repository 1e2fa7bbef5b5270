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
    /// A regular uid without a passwd entry: journald gives it journal files of its own.
    static let user = ["/usr/bin/setpriv", "--reuid=4242", "--regid=4242", "--clear-groups"]

    @Test(.enabled(if: SystemdMachine.canRun, "needs root, unshare and systemd"))
    func theReasonOfAFailedConnectIsInTheUsersJournal() async throws {
        let knot = try await KnotServer.start(signing: false)
        let machine = try SystemdServiceTests.machine(knot: knot)
        defer { Task { await machine.shutDown(); await knot.stop() } }
        #expect(try await machine.wait("mailsrvd.socket", "active"))
        // Persistent storage, as Debian 12's systemd package sets up (its postinst makes
        // /var/log/journal): journald then writes each regular user's entries to a file that
        // user may read (SplitMode=uid). With the journal in /run only, uid 4242 could read
        // nothing ("insufficient permissions"). /var/log is the machine's tmpfs.
        #expect(try await machine.run(["mkdir", "-p", "/var/log/journal"]).status == 0)
        let flush = try await machine.run(["journalctl", "--flush"])
        #expect(flush.status == 0, "\(flush.stderr)")

        // nopop.example.net: imaps only, imap1.example.net:993 (127.0.0.11 and ::1), where
        // nothing listens: every candidate refuses, Exhausted. --raw: refused before any TLS,
        // so no trust store is needed.
        let connect = try await machine.run(Self.user + ["/usr/local/bin/mailsrvctl", "connect", "alice@nopop.example.net", "--raw"])
        #expect(connect.status == 69, "\(connect.stderr)")
        #expect(connect.stdout.isEmpty)
        let reason = connect.stderr.trimmingCharacters(in: .newlines)
        #expect(reason.hasPrefix("mailsrvctl connect: ") && !reason.contains("\n"), "\(connect.stderr)")

        // journald stores what it received in its own time: the user asks until it is there.
        var entry: [String: Any]?
        var journal: ChildProcess.Finished?
        let deadline = ContinuousClock.now + .seconds(30)
        while entry == nil, ContinuousClock.now < deadline {
            journal = try await machine.run(Self.user + ["journalctl", "--no-pager", "-t", "mailsrvctl", "-o", "json"])
            entry = journal?.stdout.split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["MESSAGE"] as? String == reason }
            if entry == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(entry != nil, "uid 4242's journal has no entry saying \(reason): \(journal?.stderr ?? "")")
        #expect(entry?["PRIORITY"] as? String == "3")
        #expect(entry?["_UID"] as? String == "4242")
        #expect(entry?["_TRANSPORT"] as? String == "journal", "sent with journald's native protocol: \(entry ?? [:])")
    }
}
