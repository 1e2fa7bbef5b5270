import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// `Lookup`, `Stats`, `Flush` and the introspection methods over the daemon's socket.
@Suite struct LookupMethodTests {
    @Test func lookupAnswersTheOrderedCandidatesOfTheTestZone() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let reply = try daemon.call(.lookup, ["email": "alice@example.net", "want": "submission"])
        #expect(reply.error == nil)
        #expect(reply["domain"] == "example.net")
        #expect(reply["source"] == "dns")
        #expect(reply["dnssec"] == "insecure")
        #expect(reply["verifyNames"] == ["example.net"])
        let candidates = try #require(reply["candidates"]?.arrayValue)
        let summary = candidates.map { "\($0["service"]?.stringValue ?? "") \($0["host"]?.stringValue ?? ""):\($0["port"]?.intValue ?? 0)" }
        #expect(Set(summary.prefix(2)) == ["submissions smtp1.example.net:465", "submissions smtp2.example.net:465"])
        #expect(Array(summary.dropFirst(2)) == ["submission smtp1.example.net:587", "submission smtp2.example.net:2525",
                                                "submission smtp2.example.net:25", "submission smtp-backup.example.net:587"])
        let first = try #require(candidates.first?.objectValue)
        #expect(first["tls"] == "implicit")
        #expect(first["priority"] == 0)
        #expect(first["weight"] == 1)
        #expect((585...600).contains(first["ttl"]?.intValue ?? 0))
        #expect(Set(first.keys) == ["service", "tls", "host", "port", "priority", "weight", "addresses", "ttl"])

        let again = try daemon.call(.lookup, ["email": "bob@example.net", "want": "submission"])
        #expect(again["source"] == "cache")
        let stats = try daemon.call(.stats)
        #expect(stats["cacheHits"]?.intValue ?? 0 > 0)
        #expect(stats["dnsQueries"]?.intValue ?? 0 >= 6)
        #expect(stats["cachedNames"]?.intValue ?? 0 >= 6)
        #expect(Set(stats.parameters.keys) == ["cachedNames", "cacheHits", "cacheMisses", "staleServed",
                                               "dnsQueries", "clients", "leases", "uptimeSeconds"])
        #expect(await daemon.stop() == 0)
    }

    @Test func anUnreachableUpstreamIsResolutionFailedWithinTheTimeout() async throws {
        // A port nobody listens on: queries fail fast.
        let daemon = try await DaemonProcess(dnsServer: "127.0.0.1@9")
        let started = ContinuousClock.now
        let reply = try daemon.call(.lookup, ["email": "a@example.net"])
        #expect(reply.errorName == "ResolutionFailed")
        #expect(reply["domain"] == "example.net")
        #expect(reply["reason"]?.stringValue?.isEmpty == false)
        #expect(ContinuousClock.now - started < .seconds(10), "within the 5 s query timeout, with slack for a busy machine")
        await daemon.stop()
    }

    @Test func introspectionServesTheShippedInterface() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try daemon.connect()
        let info = try client.call("org.varlink.service.GetInfo")
        #expect(info["product"] == "mailsrvd")
        #expect(info["interfaces"] == ["org.varlink.service", "io.mailsrvd.Discovery"])
        let description = try client.call("org.varlink.service.GetInterfaceDescription", ["interface": "io.mailsrvd.Discovery"])
        let text = try #require(description["description"]?.stringValue)
        let shipped = try String(contentsOfFile: #filePath.replacingOccurrences(
            of: "Tests/DaemonTests/LookupMethodTests.swift",
            with: "Sources/MailSRVInterface/io.mailsrvd.Discovery.varlink"), encoding: .utf8)
        #expect(text == shipped)
        #expect(text.contains("method Acquire(email: string, want: ?string, clientHost: ?string, alternatives: ?bool)"))
        let unknown = try client.call("io.mailsrvd.Discovery.Frobnicate")
        #expect(unknown.error == VarlinkError.Name.methodNotFound)
        #expect(unknown["method"] == "io.mailsrvd.Discovery.Frobnicate")
        let otherInterface = try client.call("org.example.Nothing.Ping")
        #expect(otherInterface.error == VarlinkError.Name.interfaceNotFound)
        await daemon.stop()
    }
}
