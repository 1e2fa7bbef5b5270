import Foundation
import MailHarness
import Testing
import TestSupport

/// While a tunnel of a uid is connected, that uid's next tunnels for the domain go to the
/// same server; another uid is not bound by it.
@Suite(.timeLimit(.minutes(3)), .enabled(if: getuid() == 0, "dovecot and setpriv need root"))
struct ConnectPinTests {
    @Test func secondTunnelFollowsTheFirstAndAnotherUidChoosesForItself() async throws {
        // Failure marks last 1 s here, so that what keeps root's next tunnel on `second` is the pin.
        try await TunnelWorld.with(label: "pins", settings: ["FailureMemory=1"]) { world in
            // `first` is preferred, but its certificate comes from a CA root's tunnels do not trust:
            // root's first tunnel fails over to `second` and pins it.
            let first = try await world.dovecot("127.0.0.81", greeting: "pin first", names: [world.domain], untrusted: true)
            let second = try await world.dovecot("127.0.0.82", greeting: "pin second", names: [world.domain])
            try await world.publish([.init(service: "imaps", priority: 0, port: first.imapsPort!, host: "first"),
                                     .init(service: "imaps", priority: 1, port: second.imapsPort!, host: "second")],
                                    hosts: ["first": ["127.0.0.81"], "second": ["127.0.0.82"]])

            let held = try await HeldTunnel(command: world.tunnelCommand())
            let greeting = try await held.greeting()
            #expect(greeting.hasSuffix("pin second"), "\(greeting)")
            // Root's failure mark on `first` was made before that greeting: gone by then.
            let markExpired = ContinuousClock.now + .milliseconds(1500)

            // nobody has no pin: it takes the preferred server.
            let bothCAs = "\(world.directory)/both.pem"
            try (String(contentsOfFile: world.ca.certificateFile, encoding: .utf8)
                 + String(contentsOfFile: world.untrustedCAs[0], encoding: .utf8)).write(toFile: bothCAs, atomically: true, encoding: .utf8)
            let nobody = try await ChildProcess.run("/usr/bin/setpriv", [
                "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", try StreamClient.script(),
                "imap", world.tunnelCommand(caFile: bothCAs), "alice", "secret", "x"], timeout: .seconds(90))
            #expect(nobody.values("exit") == ["0"], "\(nobody.stdout)\(nobody.stderr)")
            #expect(nobody.values("greeting").first?.hasSuffix("pin first") == true)

            // Root's next tunnel trusts both CAs, yet goes where the first one is.
            try await Task.sleep(until: markExpired)
            let again = try await StreamClient.run(.imap, command: world.tunnelCommand(caFile: bothCAs))
            #expect(again.values("exit") == ["0"], "\(again.stdout)\(again.stderr)")
            #expect(again.values("greeting").first?.hasSuffix("pin second") == true)

            // With the first tunnel gone, so is the pin: root too takes the preferred server now
            // (its failure mark has expired — so it was the pin that held it on `second` above).
            await held.end()
            let unpinned = try await StreamClient.run(.imap, command: world.tunnelCommand(caFile: bothCAs))
            #expect(unpinned.values("exit") == ["0"], "\(unpinned.stdout)\(unpinned.stderr)")
            #expect(unpinned.values("greeting").first?.hasSuffix("pin first") == true)
            let logins = first.log.split(separator: "\n").filter { $0.contains("Login: user=<alice>") }
            #expect(logins.count == 2)
        }
    }
}

/// A tunnel held open by Python's imaplib (`stream_client.py hold`): connected until `end()`.
final class HeldTunnel: @unchecked Sendable {
    private let process: Process
    private let input: Pipe, output: Pipe

    init(command: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try await Python.executable())
        process.arguments = Python.standardLibraryOnly + [try StreamClient.script(), "hold", command]
        process.standardError = FileHandle.nullDevice
        (input, output) = try process.runWithSignalsUnblocked {
            let pipes = (Pipe(), Pipe())
            process.standardInput = pipes.0
            process.standardOutput = pipes.1
            return pipes
        }
        self.process = process
    }

    /// The server greeting the client saw (waits at most 60 s).
    func greeting() async throws -> String {
        let handle = output.fileHandleForReading
        let line = try await onOwnThread { () -> String in
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data += chunk
            }
            return String(decoding: data, as: UTF8.self)
        }
        guard line.hasPrefix("greeting ") else { throw HeldTunnelError(output: line) }
        return String(line.dropFirst("greeting ".count).prefix { $0 != "\n" })
    }

    /// Lets the client log out and waits for it (killed after 30 s).
    func end() async {
        try? input.fileHandleForWriting.close()
        _ = await process.exit(within: .seconds(30))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct HeldTunnelError: Error, CustomStringConvertible {
    var output: String
    var description: String { "the held tunnel printed no greeting: \(output)" }
}
