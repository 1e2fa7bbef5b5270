import Foundation
import KnotHarness
import MailHarness
import Testing
import TestSupport
import Varlink

/// The `varlink` Python package (a client we did not write) talks to the daemon through
/// its own reading of our interface description.
@Suite(.timeLimit(.minutes(1))) struct PythonClientTests {
    @Test func thePythonClientCallsLookupThroughTheInterfaceItParsed() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let reply = try await python(socket: daemon.socket, """
            with client.open("io.mailsrvd.Discovery") as discovery:
                result = discovery.Lookup(email="a@example.net", want="submission")
            print(json.dumps(result))
            """)
        #expect(reply["domain"] == "example.net")
        #expect(reply["source"] == "dns")
        let candidates = reply["candidates"]?.arrayValue ?? []
        let hosts = candidates.map { "\($0["host"]?.stringValue ?? "?"):\($0["port"]?.intValue ?? 0)" }
        #expect(Set(hosts.prefix(2)) == ["smtp1.example.net:465", "smtp2.example.net:465"])
        #expect(Array(hosts.dropFirst(2)) == ["smtp1.example.net:587", "smtp2.example.net:2525",
                                              "smtp2.example.net:25", "smtp-backup.example.net:587"])
        #expect(candidates.first?["addresses"]?.arrayValue?.isEmpty == false)
        await daemon.stop()
    }

    @Test func thePythonClientParsesEveryMemberOfTheInterface() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let reply = try await python(socket: daemon.socket, """
            interface = client.get_interface("io.mailsrvd.Discovery")
            print(json.dumps({"name": interface.name, "members": list(interface.members.keys())}))
            """)
        #expect(reply["name"] == "io.mailsrvd.Discovery")
        #expect(reply["members"] == [
            "Endpoint", "Lease", "Route", "Trusted", "Lookup", "Acquire", "Report", "Release", "ListLeases", "Flush",
            "Trust", "Untrust", "ListTrusted", "Stats",
            "InvalidAddress", "NoService", "ResolutionFailed", "Exhausted", "NoSuchLease", "PermissionDenied",
            "TooManyRequests",
        ])
        await daemon.stop()
    }

    @Test func thePythonClientReceivesOurErrorsAsVarlinkErrors() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let reply = try await python(socket: daemon.socket, """
            with client.open("io.mailsrvd.Discovery") as discovery:
                try:
                    discovery.Lookup(email="a@nothing.example.net")
                    print(json.dumps({"raised": None}))
                except varlink.VarlinkError as error:
                    print(json.dumps({"raised": error.error(), "parameters": error.parameters()}))
            """)
        #expect(reply["raised"] == "io.mailsrvd.Discovery.NoService")
        #expect(reply["parameters"] == ["domain": "nothing.example.net", "want": "retrieval"])
        await daemon.stop()
    }

    // MARK: Helpers

    /// Runs `body` in Python with `client` connected to `socket`; returns the JSON it printed.
    private func python(socket: String, _ body: String) async throws -> JSONValue {
        let script = """
            import json, sys, varlink
            client = varlink.Client(address="unix:" + sys.argv[1])
            \(body)
            """
        let result = try await ChildProcess.run(try await Python.executable(), ["-c", script, socket])
        try #require(result.status == 0, "python3 failed: \(result.stderr)")
        return try JSONValue(parsing: Array(result.stdout.utf8))
    }
}
