import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// `Lookup` and the introspection methods over the daemon's socket, where a process
/// matters: the configured query timeout, `org.varlink.service` as the binary serves it.
/// The methods themselves: MailSRVDaemonTests (LookupMethodTests, ContractTests).
@Suite struct LookupMethodTests {
    @Test func anUnreachableUpstreamIsResolutionFailedWithinTheTimeout() async throws {
        // A port nobody listens on: every query waits out the timeout (1 s here, not the
        // default 5 s, so that the test does not wait for nothing).
        let daemon = try await DaemonProcess(dnsServer: "127.0.0.1@9", config: "[Discovery]\nQueryTimeout=1s\n")
        let started = ContinuousClock.now
        let reply = try await daemon.call(.lookup, ["email": "a@example.net"])
        #expect(reply.errorName == "ResolutionFailed")
        #expect(reply["domain"] == "example.net")
        #expect(reply["reason"]?.stringValue?.isEmpty == false)
        #expect(ContinuousClock.now - started < .seconds(6), "within the 1 s query timeout, with slack for a busy machine")
        await daemon.stop()
    }

    @Test func introspectionServesTheShippedInterface() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try await daemon.connect()
        let info = try await client.call("org.varlink.service.GetInfo")
        #expect(info["product"] == "mailsrvd")
        #expect(info["interfaces"] == ["org.varlink.service", "io.mailsrvd.Discovery"])
        let description = try await client.call("org.varlink.service.GetInterfaceDescription", ["interface": "io.mailsrvd.Discovery"])
        let text = try #require(description["description"]?.stringValue)
        let shipped = try String(contentsOfFile: #filePath.replacingOccurrences(
            of: "Tests/DaemonTests/LookupMethodTests.swift",
            with: "Sources/MailSRVInterface/io.mailsrvd.Discovery.varlink"), encoding: .utf8)
        #expect(text == shipped)
        #expect(text.contains("method Acquire(email: string, want: ?string, clientHost: ?string, alternatives: ?bool)"))
        let unknown = try await client.call("io.mailsrvd.Discovery.Frobnicate")
        #expect(unknown.error == VarlinkError.Name.methodNotFound)
        #expect(unknown["method"] == "io.mailsrvd.Discovery.Frobnicate")
        let otherInterface = try await client.call("org.example.Nothing.Ping")
        #expect(otherInterface.error == VarlinkError.Name.interfaceNotFound)
        await daemon.stop()
    }
}
