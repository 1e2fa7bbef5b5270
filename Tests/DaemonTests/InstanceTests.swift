import Foundation
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// Issue 11, findings 3, 4 and 5: a second instance on the same paths, a uid over its
/// connection limit, and a process that runs short of descriptors.
@Suite(.timeLimit(.minutes(2))) struct InstanceTests {
    /// `mailsrvd` on `socket`, `state` and `cache`, expected to refuse to start.
    private func secondDaemon(socket: String, state: String, cache: String) async throws -> ChildProcess.Finished {
        try await ChildProcess.run(DaemonProcess.binaries.appendingPathComponent("mailsrvd").path, [
            "--socket", socket, "--state-directory", state, "--cache-directory", cache,
            "--dns-server", "127.0.0.1@9",
        ], timeout: .seconds(60))
    }

    @Test func aSecondInstanceOnTheSamePathsRefusesToStartAndTheFirstServesOn() async throws {
        let first = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let holder = try await first.connect()
        let pinned = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                     ["email": "a@example.net", "want": "imaps"])
        #expect(pinned.error == nil)
        let state = first.directory.appendingPathComponent("state").path
        let cache = first.directory.appendingPathComponent("cache").path
        let elsewhere = first.directory.appendingPathComponent("elsewhere").path

        // Same state directory, another socket: the lock on the state directory says no.
        let sameState = try await secondDaemon(socket: elsewhere + "/socket", state: state, cache: cache)
        #expect(sameState.status != 0)
        #expect(sameState.stderr.contains("another mailsrvd is running on the state directory \(state)"),
                "\(sameState.stderr)")
        // Same socket, another state directory: the live socket is not taken over.
        let sameSocket = try await secondDaemon(socket: first.socket, state: elsewhere + "/state", cache: elsewhere + "/cache")
        #expect(sameSocket.status != 0)
        #expect(sameSocket.stderr.contains("another mailsrvd is running on the socket \(first.socket)"),
                "\(sameSocket.stderr)")
        #expect(FileManager.default.fileExists(atPath: first.socket))

        // The first still serves, and its pin is its own.
        let reused = try await first.connect().call(DiscoveryInterface.Method.acquire.qualifiedName,
                                              ["email": "b@example.net", "want": "imaps"])
        #expect(reused["reused"] == true && reused["address"] == pinned["address"])
        #expect(await first.stop() == 0)
        // A socket file left behind by a daemon that is gone is not "another instance".
        let stale = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                            directory: first.directory)
        await #expect(try stale.call(.stats).error == nil)
        #expect(await stale.stop(signal: SIGKILL) == SIGKILL)
        let afterKill = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                                directory: first.directory)
        await #expect(try afterKill.call(.stats).error == nil)
        await afterKill.stop()
    }

    @Test func overItsConnectionLimitAUidGetsTooManyRequestsThenTheEndOfTheStream() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                             config: "[Discovery]\nMaxConnectionsPerUser=1\n")
        // The daemon counts the connection that saw it start until it notices the close:
        // until then a new one is refused.
        var connection: DaemonConnection?
        for _ in 0..<100 where connection == nil {
            let client = try await daemon.connect()
            if let reply = try? await client.call(DiscoveryInterface.Method.stats.qualifiedName), reply.error == nil {
                connection = client
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let held = try #require(connection)
        let refused = try await mailsrvctl(["stats"], socket: daemon.socket)
        #expect(refused.status == 1)
        #expect(refused.stderr == "mailsrvctl: too many requests from this user; try again later\n")
        // A raw client: the error reply, then end of stream (not a reset), even after it sent a call.
        let raw = try await ChildProcess.run("/usr/bin/python3", ["-c", """
            import socket, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            s.sendall(b'{"method":"io.mailsrvd.Discovery.Stats"}\\0')
            time.sleep(0.2)
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            print(data.decode())
            """, daemon.socket])
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(raw.stdout == #"{"error":"io.mailsrvd.Discovery.TooManyRequests","parameters":{}}"# + "\0\n")
        await #expect(try held.call(DiscoveryInterface.Method.stats.qualifiedName).error == nil)
        await daemon.stop()
    }
}
