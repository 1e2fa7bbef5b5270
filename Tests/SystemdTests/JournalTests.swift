import Foundation
import Logging
import Testing
@testable import Systemd
#if canImport(Glibc)
import Glibc
#endif

@Suite struct JournalFields {
    @Test(arguments: [
        ("domain", "DOMAIN"),
        ("mail.domain", "MAIL_DOMAIN"),
        ("client-uid", "CLIENT_UID"),
        ("Upstream Server", "UPSTREAM_SERVER"),
        ("_pid", "PID"),
        ("__x", "X"),
        ("2fa", "F_2FA"),
        ("_", "F_"),
        ("", "F_"),
        ("grüße", "GR__E"),
        ("A9_z", "A9_Z"),
    ])
    func fieldName(key: String, expected: String) {
        #expect(JournalLogHandler.fieldName(for: key) == expected)
    }

    @Test func fieldNamesAreValidJournalFields() {
        for key in ["domain", "_SYSTEMD_UNIT", "9", "ümlaut", "a.b.c", String(repeating: "k", count: 100), "🙂"] {
            let name = JournalLogHandler.fieldName(for: key)
            #expect(!name.isEmpty && name.count <= 64, "\(key) → \(name)")
            #expect(name.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }, "\(key) → \(name)")
            #expect(!name.hasPrefix("_") && !(name.first!.isNumber), "\(key) → \(name)")
        }
    }

    @Test func priorities() {
        let expected: [(Logger.Level, Int)] = [
            (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
        for (level, priority) in expected {
            #expect(JournalLogHandler.priority(level) == priority, "\(level)")
        }
    }

    @Test func anEntrysFields() {
        var handler = JournalLogHandler(label: "mailsrvd.discovery", logLevel: .debug, metadataProvider: nil)
        handler[metadataKey: "uid"] = "1000"
        handler[metadataKey: "domain"] = "overridden.example"
        let event = LogEvent(level: .warning, message: "lookup failed", metadata: ["domain": "example.net", "message": "clash"],
                             source: "Systemd", file: "Sources/X.swift", function: "lookup()", line: 42)
        let fields = handler.fields(for: event)
        #expect(Array(fields.prefix(3)) == ["MESSAGE=lookup failed", "PRIORITY=4", "SYSLOG_IDENTIFIER=mailsrvd"])
        #expect(fields.contains("LOGGER=mailsrvd.discovery"))
        #expect(fields.contains("CODE_FILE=Sources/X.swift"))
        #expect(fields.contains("CODE_LINE=42"))
        #expect(fields.contains("CODE_FUNC=lookup()"))
        #expect(fields.contains("DOMAIN=example.net"), "the event's metadata wins over the handler's")
        #expect(!fields.contains("DOMAIN=overridden.example"))
        #expect(fields.contains("UID=1000"))
        #expect(fields.contains("META_MESSAGE=clash"), "a key clashing with the handler's own fields is renamed")
        #expect(fields.filter { $0.hasPrefix("MESSAGE=") }.count == 1)
    }

    @Test func metadataProviderFieldsAreIncluded() {
        let provider = Logger.MetadataProvider { ["request-id": "7"] }
        let handler = JournalLogHandler(label: "x", identifier: "other", metadataProvider: provider)
        let fields = handler.fields(for: LogEvent(level: .info, message: "m", metadata: nil, source: "s",
                                                  file: "f", function: "g", line: 1))
        #expect(fields.contains("REQUEST_ID=7"))
        #expect(fields.contains("SYSLOG_IDENTIFIER=other"))
        #expect(fields.contains("PRIORITY=6"))
    }
}

@Suite struct LogDestinationDetection {
    func deviceAndInode(_ fd: Int32) -> String {
        var info = stat()
        precondition(fstat(fd, &info) == 0)
        return "\(info.st_dev):\(info.st_ino)"
    }

    @Test func withoutJournalStreamItIsStderr() {
        #expect(LogDestination.detect(environment: [:]) == .stderr)
    }

    @Test func journalStreamNamingStderrIsTheJournal() {
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": deviceAndInode(2)]) == .journal)
    }

    @Test func journalStreamNamingAnotherFileIsStderr() throws {
        let other = open("/dev/null", O_RDONLY)
        defer { close(other) }
        let stream = deviceAndInode(other)
        try #require(stream != deviceAndInode(2), "stderr of the test is /dev/null: cannot tell them apart")
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": stream]) == .stderr)
        // And for the fd it does name, it is the journal.
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": stream], fd: other) == .journal)
    }

    @Test(arguments: ["", "12", "a:b", "1:2:3", "-1:5"])
    func malformedJournalStreamIsStderr(value: String) {
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": value]) == .stderr)
    }

    @Test func aLoggerFollowsItsSharedLevelAfterItWasMade() {
        let events = EventLog()
        let shared = SharedLogLevel(.info)
        var logger = Logger(label: "l") { _ in SharedLevelLogHandler(base: events, shared: shared) }
        logger[metadataKey: "unit"] = "test"
        logger.debug("hidden")
        shared.level = .debug
        logger.debug("shown")
        shared.level = .error
        logger.warning("hidden too")
        #expect(events.messages == ["shown"])
        #expect(events.recordedMetadata == [["unit": "test"]], "metadata reaches the handler underneath")
        logger.logLevel = .trace
        #expect(shared.level == .trace, "setting one logger's level sets the shared one")
    }

    @Test func handlersForEachDestination() {
        #expect(LogDestination.journal.makeHandler(label: "l", level: .notice) is JournalLogHandler)
        #expect(LogDestination.journal.makeHandler(label: "l", level: .notice).logLevel == .notice)
        #expect(LogDestination.stderr.makeHandler(label: "l", level: .error) is StreamLogHandler)
        #expect(LogDestination.stderr.makeHandler(label: "l", level: .error).logLevel == .error)
    }
}

/// A log handler that records what reaches it (its own level lets everything through).
private final class EventLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(message: String, metadata: Logger.Metadata)] = []
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { events.append(("\(event.message)", metadata.merging(event.metadata ?? [:]) { $1 })) }
    }

    var messages: [String] { lock.withLock { events.map(\.message) } }
    var recordedMetadata: [Logger.Metadata] { lock.withLock { events.map(\.metadata) } }
}
