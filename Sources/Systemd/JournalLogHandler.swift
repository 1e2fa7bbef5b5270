import CSystemd
import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A swift-log handler that writes structured journal entries with `sd_journal_sendv(3)`:
/// `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`,
/// `LOGGER` (the logger's label), `ERROR` (when the event carries one), and every metadata
/// key as a field of its own (`JournalLogHandler.fieldName(for:)`: "domain" → `DOMAIN`), so
/// `journalctl DOMAIN=example.net` finds the entries about one domain.
///
/// Without a listening journald the entries are silently dropped (libsystemd's behaviour):
/// use it only when `LogDestination.detect()` says `.journal`.
public struct JournalLogHandler: LogHandler {
    public var label: String
    public var identifier: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, identifier: String = "mailsrvd", logLevel: Logger.Level = .info,
                metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.identifier = identifier
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        Self.send(fields(for: event))
    }

    /// The journal fields of `event`, each "KEY=value", in the order they are sent.
    /// Metadata: the handler's, then the provider's, then the event's, later ones winning.
    public func fields(for event: LogEvent) -> [String] {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let own = event.metadata {
            merged.merge(own) { _, new in new }
        }
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "LOGGER=\(label)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        if let error = event.error {
            fields.append("ERROR=\(error)")
        }
        for key in merged.keys.sorted() {
            var name = Self.fieldName(for: key)
            if Self.ownFields.contains(name) { name = "META_" + name }
            fields.append("\(name)=\(merged[key]!)")
        }
        return fields
    }

    /// Fields the handler sets itself; a metadata key mapping to one of them gets `META_`.
    static let ownFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "LOGGER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "ERROR",
    ]

    /// The syslog priority of a swift-log level: trace and debug 7, info 6, notice 5,
    /// warning 4, error 3, critical 2.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A metadata key as a journal field name, which must be `[A-Z0-9_]`, at most 64
    /// characters, and start with neither `_` (fields of journald itself) nor a digit:
    /// ASCII letters upper-cased, every other character `_`, leading `_` dropped, and
    /// `F_` put before a name that would start with a digit or be empty.
    /// "domain" → `DOMAIN`, "mail.domain" → `MAIL_DOMAIN`, "_pid" → `PID`, "2fa" → `F_2FA`.
    public static func fieldName(for key: String) -> String {
        var name = String(String.UnicodeScalarView(key.unicodeScalars.map { scalar -> Unicode.Scalar in
            switch scalar {
            case "a"..."z": return Unicode.Scalar(scalar.value - 32)!
            case "A"..."Z", "0"..."9": return scalar
            default: return "_"
            }
        }))
        name = String(name.drop { $0 == "_" })
        if name.first.map({ $0.isASCII && $0.isNumber }) ?? true {
            name = "F_" + name
        }
        return String(name.prefix(64))
    }

    /// Sends `fields` as one journal entry; true when libsystemd accepted it.
    @discardableResult
    public static func send(_ fields: [String]) -> Bool {
        // One buffer holding every field back to back, and an iovec for each.
        var buffer: [UInt8] = []
        var ranges: [(offset: Int, length: Int)] = []
        for field in fields {
            ranges.append((buffer.count, field.utf8.count))
            buffer.append(contentsOf: field.utf8)
        }
        return buffer.withUnsafeMutableBytes { bytes -> Bool in
            let iovecs = ranges.map { range in
                iovec(iov_base: bytes.baseAddress.map { $0 + range.offset }, iov_len: range.length)
            }
            return iovecs.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
        }
    }
}

/// Where the daemon's log lines go (DESIGN.md §5).
public enum LogDestination: String, Sendable, Equatable {
    /// stderr is connected to journald: log structured entries with `sd_journal_sendv`.
    case journal
    /// Plain lines on stderr.
    case stderr

    /// `.journal` when `JOURNAL_STREAM` ("DEVICE:INODE", set by systemd for services whose
    /// output goes to the journal) names the file `fd` (stderr) is, else `.stderr`: if
    /// stderr was redirected after systemd set the variable, lines must follow stderr.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment,
                              fd: Int32 = 2) -> LogDestination {
        guard let stream = environment["JOURNAL_STREAM"] else { return .stderr }
        let parts = stream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return .stderr }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .stderr }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode ? .journal : .stderr
    }

    /// A handler writing to this destination.
    public func makeHandler(label: String, level: Logger.Level, identifier: String = "mailsrvd") -> any LogHandler {
        switch self {
        case .journal:
            return JournalLogHandler(label: label, identifier: identifier, logLevel: level)
        case .stderr:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Detects the destination and bootstraps swift-log's `LoggingSystem` with it (once per
    /// process: swift-log traps on a second bootstrap). Every logger's level is
    /// `SharedLogLevel.process`, set to `level` here. Returns the destination chosen.
    @discardableResult
    public static func bootstrap(level: Logger.Level, identifier: String = "mailsrvd",
                                 environment: [String: String] = ProcessInfo.processInfo.environment) -> LogDestination {
        let destination = detect(environment: environment)
        SharedLogLevel.process.level = level
        LoggingSystem.bootstrap { label in
            SharedLevelLogHandler(base: destination.makeHandler(label: label, level: .trace, identifier: identifier),
                                  shared: .process)
        }
        return destination
    }
}
