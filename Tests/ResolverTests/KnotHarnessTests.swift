import Foundation
import KnotHarness
import MailDiscovery
import Resolver
import Testing

/// The test DNS server itself: many at once, stop, live edits.
@Suite struct KnotHarnessTests {
    @Test func manyServersStartInParallelOnDistinctPorts() async throws {
        let servers = try await withThrowingTaskGroup(of: KnotServer.self) { group in
            for i in 0 ..< 6 { group.addTask { try await KnotServer.start(signing: i % 2 == 0) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(servers.map(\.port)).count == 6)
        for server in servers {
            #expect(server.forwarder == "127.0.0.1@\(server.port)")
            let resolver = try makeResolver(server)
            #expect(try await resolver.query(name: "imap1.example.net", type: .a).addresses == ["127.0.0.11"])
            resolver.shutdown()
        }
        await withTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { await server.stop() } }
        }
        for server in servers {
            #expect(!server.isRunning)
            #expect(!FileManager.default.fileExists(atPath: server.directory.path))
        }
    }

    @Test func signedServerExposesTheDSAndUnsignedOneDoesNot() async throws {
        let signed = try await SharedKnot.server()
        #expect(signed.dsRecord?.hasPrefix("secure.example.org. DS 2464 13 2 ") == true)
        let zones = try KnotServer.zonesDirectory()
        for file in ["example.net.zone", "secure.example.org.zone", "secure.example.org.csk.pem"] {
            #expect(FileManager.default.fileExists(atPath: zones.appendingPathComponent(file).path))
        }
    }

    @Test func badEditIsRejectedAndTheZoneIsUnchanged() async throws {
        let knot = try await KnotServer.start(signing: false)
        await #expect(throws: KnotError.self) {
            try await knot.change(zone: "example.net", [
                .set(owner: "live", ttl: 2, type: "A", data: "127.0.0.99"),
                .set(owner: "live", ttl: 2, type: "A", data: "not-an-address"),
            ])
        }
        let resolver = try makeResolver(knot)
        defer { resolver.shutdown() }
        #expect(try await resolver.query(name: "live.example.net", type: .a).addresses == ["127.0.0.41"])
        await knot.stop()
        await knot.stop()   // idempotent
    }
}
