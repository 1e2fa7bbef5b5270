import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// The real `mailsrvctl` binary against a real daemon (DESIGN.md §7): tables, `--json`,
/// exit codes, and the verbs.
@Suite(.timeLimit(.minutes(1))) struct MailsrvctlTests {
    // MARK: lookup

    @Test func lookupPrintsAnAlignedTableOfTheDaemonsCandidates() async throws {
        let daemon = try await startDaemon()
        let result = try await mailsrvctl(["lookup", "a@example.net"], socket: daemon.socket)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "example.net: 6 candidate(s), source: dns, dnssec: insecure")
        #expect(lines.dropFirst().first == "certificate names: example.net")
        let table = try #require(CandidateTable(lines.drop { !$0.hasPrefix("SERVICE") }))
        #expect(table.header.map(\.text) == EndpointColumns.header)
        // The daemon's order: compare with its own answer (now from the cache).
        let direct = try await daemon.call(.lookup, ["email": "a@example.net"])
        let candidates = try #require(direct["candidates"]?.arrayValue)
        #expect(table.rows.count == candidates.count)
        #expect(table.rows.map { $0[0].text + "/" + $0[4].text } == candidates.map(serviceAndPriority))
        // IMAP merged by priority (imaps 0, imap 5, imaps 10), then POP3; noaddr and ghost have no address.
        #expect(table.rows.map(\.[0].text) == ["imaps", "imaps", "imap", "imaps", "pop3s", "pop3"])
        #expect(Set(table.rows.map(EndpointColumns.identity)) == Set(candidates.map(EndpointColumns.identity)))
        let imap1 = try #require(table.rows.first { $0[2].text == "imap1.example.net" && $0[0].text == "imaps" })
        let imap1Addresses = candidates.first { EndpointColumns.identity($0) == "imaps imap1.example.net:993" }?["addresses"]
        #expect(imap1.map(\.text) == ["imaps", "implicit", "imap1.example.net", "993", "0", "1", imap1[6].text,
                                      imap1Addresses?.arrayValue?.compactMap(\.stringValue).joined(separator: " ")])
        #expect(Set(imap1[7].text.split(separator: " ")) == ["::1", "127.0.0.11"])
        #expect((3590...3600).contains(Int(imap1[6].text) ?? -1))
        table.expectAligned(rightAligned: EndpointColumns.numeric)
        await daemon.stop()
    }

    @Test func lookupJSONIsTheDaemonsReply() async throws {
        let daemon = try await startDaemon()
        _ = try await daemon.call(.lookup, ["email": "a@example.net"])  // both answers below come from the cache
        let result = try await mailsrvctl(["lookup", "a@example.net", "--json"], socket: daemon.socket)
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try #require(try JSONValue(parsing: Array(result.stdout.utf8)).objectValue)
        let direct = try await daemon.call(.lookup, ["email": "a@example.net"])
        #expect(direct.error == nil)
        #expect(Set(printed.keys) == Set(direct.parameters.keys))
        for key in ["domain", "dnssec", "source", "verifyNames"] {
            #expect(printed[key] == direct[key], "\(key)")
        }
        #expect(printed["source"] == "cache")
        let printedCandidates = printed["candidates"]?.arrayValue ?? []
        let directCandidates = direct["candidates"]?.arrayValue ?? []
        #expect(printedCandidates.map(serviceAndPriority) == directCandidates.map(serviceAndPriority))
        #expect(Set(printedCandidates.map(\.withoutTTL)) == Set(directCandidates.map(\.withoutTTL)))
        #expect(printedCandidates.count == 6)
        // One line, the daemon's serialization (sorted keys, no spaces).
        #expect(result.stdout.hasSuffix("}\n"))
        #expect(result.stdout.filter { $0 == "\n" }.count == 1)
        await daemon.stop()
    }

    @Test func lookupSubmissionAndWantChooseTheServices() async throws {
        let daemon = try await startDaemon()
        let submission = try await mailsrvctl(["lookup", "a@example.net", "--submission"], socket: daemon.socket)
        #expect(submission.status == 0, "\(submission.stderr)")
        let submissionTable = try #require(CandidateTable(submission.stdout))
        #expect(submissionTable.rows.map(\.[0].text) == ["submissions", "submissions", "submission", "submission",
                                                         "submission", "submission"])
        #expect(submissionTable.rows.last?.map(\.text).prefix(6) == ["submission", "starttls", "smtp-backup.example.net",
                                                                     "587", "5", "0"])
        submissionTable.expectAligned(rightAligned: EndpointColumns.numeric)

        let imap = try await mailsrvctl(["lookup", "a@example.net", "--want", "imap"], socket: daemon.socket)
        #expect(imap.status == 0, "\(imap.stderr)")
        #expect(imap.stdout.hasPrefix("example.net: 1 candidate(s), source: dns"))
        let imapTable = try #require(CandidateTable(imap.stdout))
        #expect(imapTable.rows.map { $0.map(\.text).prefix(6) } == [["imap", "starttls", "imap1.example.net", "143", "5", "0"]])
        imapTable.expectAligned(rightAligned: EndpointColumns.numeric)

        // Unresolved, noaddr stays, and no addresses are shown as "-".
        let unresolved = try await mailsrvctl(["lookup", "a@example.net", "--want", "imap", "--no-resolve"], socket: daemon.socket)
        let unresolvedTable = try #require(CandidateTable(unresolved.stdout))
        #expect(unresolvedTable.rows.map { $0[2].text + " " + $0[7].text } == ["imap1.example.net -", "noaddr.example.net -"])
        unresolvedTable.expectAligned(rightAligned: EndpointColumns.numeric)
        await daemon.stop()
    }

    @Test func theSocketOptionWorksWithoutTheEnvironmentAndOverridesIt() async throws {
        let daemon = try await startDaemon()
        let bare = try await mailsrvctl(["lookup", "a@example.net", "--want", "imap", "--json", "--socket", daemon.socket],
                                        socket: nil)
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(try JSONValue(parsing: Array(bare.stdout.utf8))["domain"] == "example.net")
        let overriding = try await mailsrvctl(["stats", "--socket", daemon.socket], socket: "/nonexistent/socket")
        #expect(overriding.status == 0, "\(overriding.stderr)")
        await daemon.stop()
    }

    // MARK: Exit codes

    @Test func exitCodesSayWhatHappened() async throws {
        let daemon = try await startDaemon()
        let none = try await mailsrvctl(["lookup", "a@nothing.example.net"], socket: daemon.socket)
        #expect(none.status == 3)
        #expect(none.stdout.isEmpty)
        #expect(none.stderr == "mailsrvctl: nothing.example.net offers no retrieval service\n")

        let invalid = try await mailsrvctl(["lookup", "a@exa mple.net"], socket: daemon.socket)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("a@exa mple.net"))

        let unknownFlag = try await mailsrvctl(["lookup", "--frobnicate", "a@example.net"], socket: daemon.socket)
        #expect(unknownFlag.status == 2)
        #expect(unknownFlag.stderr.contains("--frobnicate"))
        let conflicting = try await mailsrvctl(["lookup", "a@example.net", "--submission", "--want", "imap"],
                                               socket: daemon.socket)
        #expect(conflicting.status == 2)
        let unknownVerb = try await mailsrvctl(["frobnicate"], socket: daemon.socket)
        #expect(unknownVerb.status == 2)
        let help = try await mailsrvctl(["--help"], socket: daemon.socket)
        #expect(help.status == 0)
        #expect(help.stdout.contains("Exit codes: 0 found, 1 error talking to the daemon, 2 bad usage"))
        await daemon.stop()

        let missing = daemon.directory.appendingPathComponent("run/no-such-socket").path
        let notRunning = try await mailsrvctl(["lookup", "a@example.net"], socket: missing)
        #expect(notRunning.status == 1)
        #expect(notRunning.stdout.isEmpty)
        #expect(notRunning.stderr.contains("not running"))
        #expect(notRunning.stderr.filter { $0 == "\n" }.count == 1, "one line: \(notRunning.stderr)")
    }

    // MARK: stats, status, flush

    @Test func statsShowsTheDaemonsCountersAligned() async throws {
        let daemon = try await startDaemon()
        _ = try await daemon.call(.lookup, ["email": "a@example.net"])
        let expected = try await daemon.call(.stats)
        let result = try await mailsrvctl(["stats"], socket: daemon.socket)
        #expect(result.status == 0, "\(result.stderr)")
        let counters = labelledValues(result.stdout)
        #expect(counters.map(\.label) == ["Cached names", "Cache hits", "Cache misses", "Stale answers served",
                                          "DNS queries", "Clients", "Leases", "Uptime (s)"])
        #expect(counters.first { $0.label == "Cached names" }?.value == expected["cachedNames"]?.intValue.map(String.init))
        #expect(counters.first { $0.label == "DNS queries" }?.value == expected["dnsQueries"]?.intValue.map(String.init))
        #expect(counters.first { $0.label == "Clients" }?.value == "1", "mailsrvctl's own connection")
        #expect(counters.first { $0.label == "Leases" }?.value == "0")
        let colonColumns = result.stdout.split(separator: "\n").map { line in
            line.firstIndex(of: ":").map { line.distance(from: line.startIndex, to: $0) } ?? -1
        }
        #expect(Set(colonColumns) == ["Stale answers served".count], "the colons line up")

        let json = try await mailsrvctl(["stats", "--json"], socket: daemon.socket)
        let parsed = try #require(try JSONValue(parsing: Array(json.stdout.utf8)).objectValue)
        #expect(Set(parsed.keys) == Set(expected.parameters.keys))
        #expect(parsed["cachedNames"] == expected["cachedNames"])
        await daemon.stop()
    }

    @Test func statusNamesTheDaemonAndItsSocket() async throws {
        let daemon = try await startDaemon()
        let result = try await mailsrvctl(["status"], socket: daemon.socket)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let first = try #require(lines.first)
        #expect(first.hasPrefix("mailsrvd "))
        #expect(first.hasSuffix(" running on \(daemon.socket)"))
        let version = try await daemon.connect().call("org.varlink.service.GetInfo")["version"]?.stringValue
        #expect(first == "mailsrvd \(version ?? "?") running on \(daemon.socket)")
        #expect(labelledValues(lines.dropFirst().joined(separator: "\n")).map(\.label).count == 8)
        await daemon.stop()

        let stopped = try await mailsrvctl(["status"], socket: daemon.socket)
        #expect(stopped.status == 1)
        #expect(stopped.stderr.contains("not running"))
    }

    @Test func flushAsRootEmptiesTheCache() async throws {
        let daemon = try await startDaemon()
        _ = try await daemon.call(.lookup, ["email": "a@example.net", "want": "imap"])
        let cached = try await #require(try daemon.call(.stats)["cachedNames"]?.intValue)
        #expect(cached > 0)
        let result = try await mailsrvctl(["flush"], socket: daemon.socket)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "flushed \(cached) cached record set(s)\n")
        await #expect(try daemon.call(.stats)["cachedNames"] == 0)
        let again = try await mailsrvctl(["lookup", "a@example.net", "--want", "imap"], socket: daemon.socket)
        #expect(again.stdout.contains("source: dns"))
        await daemon.stop()
    }

    // MARK: acquire and leases

    @Test func leasesShowsTheLeaseOfARunningAcquireUntilItIsInterrupted() async throws {
        let daemon = try await startDaemon()
        let acquire = try HeldAcquire(email: "a@example.net", socket: daemon.socket)
        let printed = try await acquire.outputUntil("holding the lease")
        let leaseLine = try #require(printed.split(separator: "\n").first { $0.hasPrefix("lease:") })
        let lease = String(leaseLine.dropFirst("lease:".count).trimmingCharacters(in: .whitespaces))
        #expect(lease.count >= 16)
        #expect(printed.contains("reused:  no"))
        let acquireTable = try #require(CandidateTable(printed))
        #expect(acquireTable.rows.count == 1)
        #expect(acquireTable.rows.first?[0].text == "imaps")

        let held = try await mailsrvctl(["leases"], socket: daemon.socket)
        #expect(held.status == 0, "\(held.stderr)")
        let lines = held.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.split(separator: " ").map(String.init) == ["LEASE", "EMAIL", "WANT", "SERVICE", "HOST", "PORT", "ADDRESS", "STATE"])
        let row = lines.last?.split(separator: " ").map(String.init) ?? []
        #expect(row.count == 8)
        #expect(row.first == lease)
        #expect(Array(row.dropFirst().prefix(3)) == ["a@example.net", "retrieval", "imaps"])
        #expect(row.last == "pending")
        #expect(printed.contains("address: \(row[6])"))

        #expect(await acquire.interrupt() == 0)
        var after = try await mailsrvctl(["leases"], socket: daemon.socket)
        for _ in 0..<50 where after.stdout != "no leases\n" {
            try await Task.sleep(for: .milliseconds(20))
            after = try await mailsrvctl(["leases"], socket: daemon.socket)
        }
        #expect(after.status == 0)
        #expect(after.stdout == "no leases\n")
        await daemon.stop()
    }

    // MARK: Helpers

    private func startDaemon() async throws -> DaemonProcess {
        try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
    }

    private func serviceAndPriority(_ candidate: JSONValue) -> String {
        "\(candidate["service"]?.stringValue ?? "?")/\(candidate["priority"]?.intValue ?? -1)"
    }

    /// `Label: value` lines.
    private func labelledValues(_ text: String) -> [(label: String, value: String)] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].trimmingCharacters(in: .whitespaces),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }
}

/// Runs mailsrvctl with `MAILSRVD_SOCKET` set to `socket` (or unset when nil).
func mailsrvctl(_ arguments: [String], socket: String?) async throws -> ChildProcess.Finished {
    var environment = ProcessInfo.processInfo.environment
    environment["MAILSRVD_SOCKET"] = socket
    environment["XDG_RUNTIME_DIR"] = nil
    return try await ChildProcess.run(DaemonProcess.binaries.appendingPathComponent("mailsrvctl").path, arguments,
                         environment: environment)
}

/// The columns of mailsrvctl's endpoint tables.
enum EndpointColumns {
    static let header = ["SERVICE", "TLS", "HOST", "PORT", "PRIO", "WEIGHT", "TTL", "ADDRESSES"]
    static let numeric: Set<Int> = [3, 4, 5, 6]

    /// Service, host and port of a table row or a candidate.
    static func identity(_ row: [CandidateTable.Cell]) -> String { "\(row[0].text) \(row[2].text):\(row[3].text)" }
    static func identity(_ candidate: JSONValue) -> String {
        "\(candidate["service"]?.stringValue ?? "?") \(candidate["host"]?.stringValue ?? "?"):\(candidate["port"]?.intValue ?? 0)"
    }
}

/// An endpoint table as printed: each cell with the column offsets it covers. The first
/// seven cells are single words; the rest of a row is the ADDRESSES cell.
struct CandidateTable {
    struct Cell {
        var text: String
        var start: Int
        var end: Int
    }

    var header: [Cell]
    var rows: [[Cell]]

    /// Finds the table in mailsrvctl's output: from the header line to the next empty line.
    init?(_ output: String) {
        self.init(output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .drop { !$0.hasPrefix("SERVICE ") })
    }

    init?(_ lines: some Collection<String>) {
        let table = lines.prefix { !$0.isEmpty }
        guard let first = table.first else { return nil }
        header = Self.cells(first)
        rows = table.dropFirst().map(Self.cells)
        guard header.count == EndpointColumns.header.count, rows.allSatisfy({ $0.count == header.count }) else { return nil }
    }

    private static func cells(_ line: String) -> [Cell] {
        var cells: [Cell] = []
        var offset = 0
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !word.isEmpty {
                if cells.count == EndpointColumns.header.count, var last = cells.popLast() {
                    last.text += String(repeating: " ", count: offset - last.end) + word
                    last.end = offset + word.count
                    cells.append(last)
                } else {
                    cells.append(Cell(text: String(word), start: offset, end: offset + word.count))
                }
            }
            offset += word.count + 1
        }
        return cells
    }

    /// Left-aligned cells start where their header starts; right-aligned ones end where it ends.
    func expectAligned(rightAligned: Set<Int>, sourceLocation: SourceLocation = #_sourceLocation) {
        for row in rows {
            for (column, cell) in row.enumerated() {
                if rightAligned.contains(column) {
                    #expect(cell.end == header[column].end, "column \(header[column].text) of \(row.map(\.text))",
                            sourceLocation: sourceLocation)
                } else {
                    #expect(cell.start == header[column].start, "column \(header[column].text) of \(row.map(\.text))",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }
}

/// `mailsrvctl acquire` running as a child process, holding its lease.
final class HeldAcquire: @unchecked Sendable {
    private let process: Process
    private let output: Pipe

    init(email: String, socket: String) throws {
        let process = Process()
        process.executableURL = DaemonProcess.binaries.appendingPathComponent("mailsrvctl")
        process.arguments = ["acquire", email]
        var environment = ProcessInfo.processInfo.environment
        environment["MAILSRVD_SOCKET"] = socket
        process.environment = environment
        output = try process.runWithSignalsUnblocked {
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            return output
        }
        self.process = process
    }

    /// What it printed, up to and including the first line containing `marker`.
    func outputUntil(_ marker: String) async throws -> String {
        let handle = output.fileHandleForReading
        // Bounded: the read ends when the process does.
        let pid = process.processIdentifier
        let deadline = Task {
            try await Task.sleep(for: .seconds(30))
            kill(pid, SIGKILL)
        }
        defer { deadline.cancel() }
        return try await onOwnThread {
            var text = ""
            while !text.contains(marker) {
                let chunk = handle.availableData
                guard !chunk.isEmpty else { throw DaemonFailure("mailsrvctl acquire ended: \(text)") }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
    }

    /// Sends SIGINT and waits for the exit; returns the exit status (SIGKILL if it had not
    /// exited 20 s later and was killed).
    func interrupt() async -> Int32 {
        kill(process.processIdentifier, SIGINT)
        guard await process.exit(within: .seconds(20)) else { return SIGKILL }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
