import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// `Trust`, `Untrust` and `ListTrusted` over the socket (CLIENTS.md §2): per uid, in
/// `verifyNames`, persistent, limited.
@Suite(.timeLimit(.minutes(1))) struct TrustMethodTests {
    func call(_ client: VarlinkClient, _ method: DiscoveryInterface.Method, _ parameters: JSONObject = [:]) throws -> VarlinkReply {
        try client.call(method.qualifiedName, parameters)
    }

    @Test func aConfirmedTargetIsInThatUsersVerifyNamesWhereverItIsTheTarget() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net"])
        let trusted = try call(client, .trust, ["domain": "Example.NET.", "host": "IMAP2.example.net"])
        #expect(trusted.parameters == ["domain": "example.net", "host": "imap2.example.net", "added": true])
        #expect(try call(client, .trust, ["domain": "example.net", "host": "imap2.example.net"])["added"] == false)
        #expect(try call(client, .listTrusted)["trusted"] == [["domain": "example.net", "host": "imap2.example.net"]])

        #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net", "imap2.example.net"])
        #expect(try daemon.call(.lookup, ["email": "a@example.net", "want": "pop3-group"])["verifyNames"] == ["example.net"],
                "only when the host is a candidate")
        #expect(try daemon.call(.lookup, ["email": "a@nopop.example.net"])["verifyNames"] == ["nopop.example.net"],
                "only for the domain it was confirmed for")

        // Acquire and Report: only the endpoint's own host; a Route carries its own names.
        let acquired = try call(client, .acquire, ["email": "a@example.net", "want": "imaps", "alternatives": true])
        let lease = try #require(acquired["lease"]?.stringValue)
        func expected(_ host: JSONValue?) -> JSONValue {
            host == "imap2.example.net" ? ["example.net", "imap2.example.net"] : ["example.net"]
        }
        #expect(acquired["verifyNames"] == expected(acquired["endpoint"]?["host"]))
        let routes = try #require(acquired["alternatives"]?.arrayValue)
        #expect(routes.count == 4)
        for route in routes { #expect(route["verifyNames"] == expected(route["endpoint"]?["host"])) }
        var report = try call(client, .report, ["lease": .string(lease), "outcome": "failed"])
        var seen: Set<String> = []
        while report.error == nil {
            #expect(report["verifyNames"] == expected(report["endpoint"]?["host"]))
            seen.insert(report["endpoint"]?["host"]?.stringValue ?? "")
            report = try call(client, .report, ["lease": .string(lease), "outcome": "failed"])
        }
        #expect(seen.contains("imap2.example.net") && seen.contains("imap-backup.example.net"))

        let untrusted = try call(client, .untrust, ["domain": "example.net", "host": "imap2.example.net"])
        #expect(untrusted.parameters == ["domain": "example.net", "host": "imap2.example.net", "removed": true])
        #expect(try call(client, .untrust, ["domain": "example.net", "host": "imap2.example.net"])["removed"] == false)
        #expect(try call(client, .listTrusted)["trusted"] == [])
        #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net"])
        await daemon.stop()
    }

    @Test func trustClearsTheUsersFailureMarksOnThatHost() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        let acquired = try call(client, .acquire, ["email": "a@nopop.example.net"])
        #expect(acquired["endpoint"]?["host"] == "imap1.example.net")
        let lease = try #require(acquired["lease"]?.stringValue)
        var report = try call(client, .report, ["lease": .string(lease), "outcome": "failed"])
        while report.error == nil { report = try call(client, .report, ["lease": .string(lease), "outcome": "failed"]) }
        #expect(report.errorName == "Exhausted")
        #expect(try call(client, .acquire, ["email": "a@nopop.example.net"]).errorName == "Exhausted", "marked failed")
        _ = try call(client, .trust, ["domain": "nopop.example.net", "host": "imap1.example.net"])
        let again = try call(client, .acquire, ["email": "a@nopop.example.net"])
        #expect(again.error == nil)
        #expect(again["endpoint"]?["host"] == "imap1.example.net")
        #expect(again["verifyNames"] == ["nopop.example.net", "imap1.example.net"])
        await daemon.stop()
    }

    @Test func badNamesAreInvalidParametersAndAUserHasALimit() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        for (parameters, bad) in [(["domain": "exa mple.net", "host": "imap.example.net"], "domain"),
                                  (["domain": "example.net", "host": "a@imap.example.net"], "host"),
                                  (["domain": "example.net", "host": "imap..example.net"], "host"),
                                  (["domain": "example.net", "host": .int(3)], "host"),
                                  (["host": "imap.example.net"], "domain")] as [(JSONObject, String)] {
            let reply = try call(client, .trust, parameters)
            #expect(reply.error == VarlinkError.Name.invalidParameter, "\(parameters)")
            #expect(reply["parameter"] == .string(bad), "\(parameters)")
            #expect(try call(client, .untrust, parameters)["parameter"] == .string(bad))
        }
        for index in 0..<256 {
            let reply = try call(client, .trust, ["domain": "example.net", "host": .string("m\(index).example.net")])
            try #require(reply["added"] == true, "\(index): \(reply)")
        }
        #expect(try call(client, .trust, ["domain": "example.net", "host": "m256.example.net"]).errorName == "TooManyRequests")
        #expect(try call(client, .trust, ["domain": "example.net", "host": "m3.example.net"])["added"] == false)
        #expect(try call(client, .listTrusted)["trusted"]?.arrayValue?.count == 256)
        await daemon.stop()
    }

    @Test func confirmationsSurviveARestartAndACorruptFileIsSetAside() async throws {
        let knot = try await SharedKnot.server()
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        _ = try first.call(.trust, ["domain": "example.net", "host": "imap2.example.net"])
        // Saved at once: even a daemon killed right after keeps it.
        #expect(await first.stop(signal: SIGKILL) == SIGKILL)
        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        #expect(try second.call(.listTrusted)["trusted"] == [["domain": "example.net", "host": "imap2.example.net"]])
        #expect(try second.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net", "imap2.example.net"])
        await second.stop()
        let file = first.directory.appendingPathComponent("state/trust.json")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("{\"version\": 1, \"contents\": [".utf8).write(to: file)
        let third = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        #expect(try third.call(.listTrusted)["trusted"] == [])
        #expect(FileManager.default.fileExists(atPath: file.path + ".corrupt"))
        await third.stop()
    }

    @Test func anotherUIDNeitherSeesNorUsesNorRemovesAConfirmation() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        _ = try daemon.call(.trust, ["domain": "example.net", "host": "imap2.example.net"])
        _ = try daemon.call(.lookup, ["email": "a@example.net"])
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
        #expect(try daemon.call(.listTrusted)["trusted"] == [["domain": "example.net", "host": "imap2.example.net"]])
        #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net", "imap2.example.net"])
        await daemon.stop()
    }
}
