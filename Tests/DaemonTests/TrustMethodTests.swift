import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// `Trust`, `Untrust` and `ListTrusted` over the socket (CLIENTS.md §2): what needs a
/// process — confirmations survive a restart, another uid (SO_PEERCRED) neither sees nor
/// uses them. The methods themselves: MailSRVDaemonTests.TrustMethodTests.
@Suite(.timeLimit(.minutes(1))) struct TrustMethodTests {
    @Test func confirmationsSurviveARestartAndACorruptFileIsSetAside() async throws {
        let knot = try await SharedKnot.server()
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        _ = try await first.call(.trust, ["domain": "example.net", "host": "imap2.example.net"])
        // Saved at once: even a daemon killed right after keeps it.
        #expect(await first.stop(signal: SIGKILL) == SIGKILL)
        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        await #expect(try second.call(.listTrusted)["trusted"] == [["domain": "example.net", "host": "imap2.example.net"]])
        await #expect(try second.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net", "imap2.example.net"])
        await second.stop()
        let file = first.directory.appendingPathComponent("state/trust.json")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("{\"version\": 1, \"contents\": [".utf8).write(to: file)
        let third = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        await #expect(try third.call(.listTrusted)["trusted"] == [])
        #expect(FileManager.default.fileExists(atPath: file.path + ".corrupt"))
        await third.stop()
    }

    @Test func anotherUIDNeitherSeesNorUsesNorRemovesAConfirmation() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        _ = try await daemon.call(.trust, ["domain": "example.net", "host": "imap2.example.net"])
        _ = try await daemon.call(.lookup, ["email": "a@example.net"])
        let message = { (method: DiscoveryInterface.Method, parameters: JSONObject) in
            VarlinkCall(method: method.qualifiedName, parameters: parameters).serialized()
        }
        let replies = try await callAsNobody(socket: daemon.socket, [
            message(.listTrusted, [:]),
            message(.lookup, ["email": "a@example.net"]),
            message(.untrust, ["domain": "example.net", "host": "imap2.example.net"]),
            message(.trust, ["domain": "example.net", "host": "imap1.example.net"]),
            message(.listTrusted, [:]),
        ])
        #expect(replies.count == 5)
        #expect(replies[0]["parameters"]?["trusted"] == [])
        #expect(replies[1]["parameters"]?["verifyNames"] == ["example.net"])
        #expect(replies[2]["parameters"]?["removed"] == false)
        #expect(replies[3]["parameters"]?["added"] == true)
        #expect(replies[4]["parameters"]?["trusted"] == [["domain": "example.net", "host": "imap1.example.net"]])
        await #expect(try daemon.call(.listTrusted)["trusted"] == [["domain": "example.net", "host": "imap2.example.net"]])
        await #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net", "imap2.example.net"])
        await daemon.stop()
    }
}
