import Foundation
import Glibc
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// The daemon with no configured upstream follows `/etc/resolv.conf` (DESIGN.md §4): the
/// real file, in a private network namespace (Knot on port 53 of 127.0.0.1, the "office",
/// and 127.0.0.2, "home") and a private mount namespace whose `/etc` is its own, so that
/// the test renames, rewrites, removes and swaps it as NetworkManager, resolvconf or a VPN
/// client would. Root only.
@Suite(.serialized, .timeLimit(.minutes(3)),
       .enabled(if: getuid() == 0, "needs root: network and mount namespaces with an /etc of their own"))
struct ResolvConfFollowingTests {
    @Test func followsEveryKindOfChangeAndForgetsTheOldNetworksAnswersAsFresh() async throws {
        let namespace = try await Namespaces.start()
        defer { namespace.stop() }
        try namespace.writeResolvConf(["127.0.0.1"])
        let office = try await KnotServer.start(signing: false, address: "127.0.0.1", port: 53, launcher: namespace.enter)
        let home = try await KnotServer.start(signing: false, address: "127.0.0.2", port: 53, launcher: namespace.enter)
        try await home.change(zone: "example.net", SplitHorizonTests.homeView)
        let daemon = try await DaemonProcess(dnsServer: nil, config: "[Discovery]\nQueryTimeout=2s\n",
                                             launcher: namespace.enter)
        #expect(daemon.log.contains("servers=127.0.0.1"), "\(daemon.log)")
        let configured = try await DaemonProcess(dnsServer: "127.0.0.1", launcher: namespace.enter)

        // At the office: learn an IMAPS answer, a NoService and a submission answer.
        await #expect(try daemon.imaps("a@example.net") == SplitHorizonTests.officeIMAPS)
        await #expect(try daemon.call(.lookup, ["email": "a@onlyhome.example.net", "want": "imaps"]).errorName == "NoService")
        let submission = try await daemon.call(.lookup, ["email": "a@example.net", "want": "submission"])
        #expect(submission.error == nil)

        // Atomic rename (NetworkManager): home's answers, fresh from DNS, NoService forgotten.
        try namespace.writeResolvConf(["127.0.0.2"], renaming: true)
        try await daemon.waitForIMAPS(SplitHorizonTests.homeIMAPS)
        await #expect(try daemon.call(.lookup, ["email": "a@example.net", "want": "imaps"])["source"] == "cache")
        let found = try await daemon.call(.lookup, ["email": "a@onlyhome.example.net", "want": "imaps"])
        #expect(found.error == nil, "a NoService learned at the office hides home's records")
        #expect(daemon.log.contains("upstream servers changed"), "\(daemon.log)")
        #expect(daemon.log.contains("servers=127.0.0.2"), "\(daemon.log)")

        // In-place rewrite: back at the office.
        try namespace.writeResolvConf(["127.0.0.1"], renaming: false)
        try await daemon.waitForIMAPS(SplitHorizonTests.officeIMAPS)

        // Missing for a moment, then empty: the daemon keeps its servers.
        #expect(unlink(namespace.etc + "/resolv.conf") == 0)
        await #expect(try daemon.call(.lookup, ["email": "a@example.net", "want": "pop3s"]).error == nil)
        try "".write(toFile: namespace.etc + "/resolv.conf", atomically: false, encoding: .utf8)
        await #expect(try daemon.call(.lookup, ["email": "a@example.net", "want": "imap"]).error == nil)
        await #expect(try daemon.imaps("a@example.net") == SplitHorizonTests.officeIMAPS)

        // A symlink swapped in (resolvconf, systemd-resolved): to home.
        try FileManager.default.createDirectory(atPath: namespace.etc + "/nm", withIntermediateDirectories: true)
        try namespace.writeResolvConf(["127.0.0.2"], renaming: true, file: "nm/resolv.conf")
        #expect(symlink("/etc/nm/resolv.conf", namespace.etc + "/resolv.conf.new") == 0)
        #expect(rename(namespace.etc + "/resolv.conf.new", namespace.etc + "/resolv.conf") == 0)
        try await daemon.waitForIMAPS(SplitHorizonTests.homeIMAPS)

        // The symlink's target changes: to the office, and home again.
        try namespace.writeResolvConf(["127.0.0.1"], renaming: true, file: "nm/resolv.conf")
        try await daemon.waitForIMAPS(SplitHorizonTests.officeIMAPS)
        try namespace.writeResolvConf(["127.0.0.2"], renaming: false, file: "nm/resolv.conf")
        try await daemon.waitForIMAPS(SplitHorizonTests.homeIMAPS)

        // A configured upstream is not affected by the file.
        await #expect(try configured.imaps("a@example.net") == SplitHorizonTests.officeIMAPS)
        #expect(!configured.log.contains("upstream servers changed"), "\(configured.log)")
        await configured.stop()

        // Home's server down: the office's submission answer is served, as stale.
        await home.stop()
        let stale = try await daemon.call(.lookup, ["email": "a@example.net", "want": "submission"])
        #expect(stale.error == nil)
        #expect(stale["source"] == "stale")
        #expect(hostsAndAddresses(stale).sorted() == hostsAndAddresses(submission).sorted())
        await daemon.stop()
        await office.stop()
    }
}

extension ResolvConfFollowingTests {
    /// libunbound answers SERVFAIL at once when it cannot send; the reason says why.
    @Test func anUnreachableUpstreamIsCalledSo() async throws {
        let namespace = try await Namespaces.start()
        defer { namespace.stop() }
        let daemon = try await DaemonProcess(dnsServer: "192.0.2.1", config: "[Discovery]\nQueryTimeout=2s\n",
                                             launcher: namespace.enter)
        let reply = try await daemon.call(.lookup, ["email": "a@example.net"])
        #expect(reply.errorName == "ResolutionFailed")
        #expect(reply["reason"]?.stringValue?.contains("network unreachable") == true, "\(reply)")
        await daemon.stop()
    }
}

/// A process holding a new network namespace (loopback up) and a private mount namespace
/// in which a directory of its own is mounted over `/etc`. `enter` runs a command in both.
/// That directory holds a copy of `resolv.conf` and, for every other entry of the real
/// `/etc`, a symbolic link into the real one (bind-mounted at `real-etc` inside): copying
/// all of `/etc` took more CPU than the tests that use it.
final class Namespaces: Sendable {
    let directory: String
    /// The namespace's `/etc` as seen from outside (its own files, `resolv.conf` among them;
    /// the links point into the real `/etc` only inside).
    let etc: String
    let holder: Process

    var enter: [String] { ["/usr/bin/nsenter", "-t", "\(holder.processIdentifier)", "-n", "-m", "--"] }

    private init(directory: String, holder: Process) {
        self.directory = directory
        etc = directory + "/etc"
        self.holder = holder
    }

    static func start() async throws -> Namespaces {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netns-\(UUID().uuidString.prefix(8))").path
        let fileManager = FileManager.default
        for sub in ["/etc", "/real-etc"] {
            try fileManager.createDirectory(atPath: directory + sub, withIntermediateDirectories: true)
        }
        for entry in try fileManager.contentsOfDirectory(atPath: "/etc") where entry != "resolv.conf" {
            try fileManager.createSymbolicLink(atPath: directory + "/etc/" + entry,
                                               withDestinationPath: directory + "/real-etc/" + entry)
        }
        let resolvConf = fileManager.contents(atPath: "/etc/resolv.conf") ?? Data()
        try resolvConf.write(to: URL(fileURLWithPath: directory + "/etc/resolv.conf"))
        try "".write(toFile: directory + "/etc/mailsrvd-test-copy", atomically: false, encoding: .utf8)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["--net", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                            "ip link set lo up && mount --bind /etc \(directory)/real-etc"
                                + " && mount --bind \(directory)/etc /etc && exec sleep 300"]
        holder.standardInput = FileHandle.nullDevice
        let log = directory + "/holder.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        holder.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try holder.runWithSignalsUnblocked()
        let namespaces = Namespaces(directory: directory, holder: holder)
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let inside = try await ChildProcess.run(namespaces.enter[0], Array(namespaces.enter.dropFirst())
                                                        + ["/usr/bin/test", "-e", "/etc/mailsrvd-test-copy"])
            if inside.status == 0 { return namespaces }
            guard holder.isRunning, ContinuousClock.now < deadline else {
                let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                namespaces.stop()
                throw DaemonFailure("the namespaces were not ready within 30 s (holder \(holder.isRunning ? "running" : "exited"): \(said); nsenter: \(inside.stderr))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Writes `resolv.conf` (or `file` under `/etc`): through a temporary file and a
    /// rename, or in place (truncate, then write).
    func writeResolvConf(_ servers: [String], renaming: Bool = true, file: String = "resolv.conf") throws {
        let text = "# test\n" + servers.map { "nameserver \($0)\n" }.joined()
        let path = etc + "/" + file
        if renaming {
            try text.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
            guard rename(path + ".tmp", path) == 0 else { throw DaemonFailure("rename onto \(path) failed") }
        } else {
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil { unlink(path) }
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }
    }

    /// Kills the holder (it ends by itself after 5 minutes at the latest) and removes the copy.
    func stop() {
        kill(holder.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension DaemonProcess {
    /// The IMAPS candidates of `email`, as "host:port", sorted.
    func imaps(_ email: String) async throws -> [String] {
        hostsAndAddresses(try await call(.lookup, ["email": .string(email), "want": "imaps"]))
            .map { String($0.split(separator: " ")[0]) }.sorted()
    }

    /// Asks again (bounded: 10 s, far above the 2 s the design allows) until the IMAPS
    /// candidates of example.net are `expected`, i.e. until the new servers answer.
    func waitForIMAPS(_ expected: [String]) async throws {
        let start = ContinuousClock.now
        while try await imaps("a@example.net") != expected {
            guard ContinuousClock.now - start < .seconds(10) else {
                Issue.record("still \(try await imaps("a@example.net")) 10 s after the change, not \(expected); log:\n\(log)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        print("resolv.conf change followed after \(ContinuousClock.now - start)")
    }
}
