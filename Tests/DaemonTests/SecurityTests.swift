import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// Two uids on one daemon: root (this test process) and `nobody` (uid 65534, through
/// `callAsNobody`). Leases belong to their uid; the DNS cache is shared; Flush is root's.
@Suite(.timeLimit(.minutes(1))) struct SecurityTests {
    /// A daemon, and root's connection holding a lease for a@example.net.
    private struct RootWithLease {
        let daemon: DaemonProcess
        let root: DaemonConnection
        let lease: String
        let address: String

        init() async throws {
            daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
            root = try await daemon.connect()
            let acquired = try await root.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
            try #require(acquired.error == nil, "root's Acquire failed: \(acquired)")
            lease = try #require(acquired["lease"]?.stringValue)
            address = try #require(acquired["address"]?.stringValue)
        }

        /// The lease ids root's connection lists.
        func rootLeases() async throws -> [String] {
            let reply = try await root.call(DiscoveryInterface.Method.listLeases.qualifiedName)
            return reply["leases"]?.arrayValue?.compactMap { $0["lease"]?.stringValue } ?? []
        }
    }

    @Test func nobodyDoesNotSeeRootsLease() async throws {
        let setup = try await RootWithLease()
        let replies = try await callAsNobody(socket: setup.daemon.socket, [call(.listLeases)])
        #expect(replies.count == 1)
        #expect(replies.first?["error"] == nil)
        #expect(replies.first?["parameters"]?["leases"] == [])
        await #expect(try setup.rootLeases() == [setup.lease])
        await setup.daemon.stop()
    }

    @Test func nobodyCannotReportOrReleaseRootsLease() async throws {
        let setup = try await RootWithLease()
        let replies = try await callAsNobody(socket: setup.daemon.socket, [
            call(.report, ["lease": .string(setup.lease), "outcome": "failed"]),
            call(.report, ["lease": .string(setup.lease), "outcome": "connected"]),
            call(.release, ["lease": .string(setup.lease)]),
        ])
        #expect(replies.count == 3)
        for reply in replies {
            #expect(reply["error"] == .string(DiscoveryInterface.Error.noSuchLease.qualifiedName))
            #expect(reply["parameters"] == ["lease": .string(setup.lease)])
        }
        // The lease is still root's, unmoved by nobody's "failed" and still pending.
        let listed = try await setup.root.call(DiscoveryInterface.Method.listLeases.qualifiedName)
        let leases = try #require(listed["leases"]?.arrayValue)
        #expect(leases.count == 1)
        #expect(leases.first?["lease"] == .string(setup.lease))
        #expect(leases.first?["address"] == .string(setup.address))
        #expect(leases.first?["state"] == "pending")
        // Root itself may still release it.
        let released = try await setup.root.call(DiscoveryInterface.Method.release.qualifiedName, ["lease": .string(setup.lease)])
        #expect(released.error == nil)
        await #expect(try setup.rootLeases() == [])
        await setup.daemon.stop()
    }

    @Test func eachUidSeesOnlyItsOwnLeases() async throws {
        let setup = try await RootWithLease()
        // nobody acquires on one connection and lists on the same connection only once root
        // has listed its own while nobody's lease exists (a flag file says so).
        let flag = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvd-flag-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: flag) }
        let socket = setup.daemon.socket, flagPath = flag.path
        async let nobodys = callAsNobodyOnOneConnection(socket: socket, [
            call(.acquire, ["email": "b@example.net"]), call(.listLeases),
        ], waitingBetweenFor: flagPath)
        // Both leases exist once the daemon counts two.
        var leases: JSONValue?
        for _ in 0..<500 {
            leases = try await setup.root.call(DiscoveryInterface.Method.stats.qualifiedName)["leases"]
            if leases == 2 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(leases == 2, "nobody's Acquire never took effect")
        let rootsDuringNobodysLease = try await setup.rootLeases()
        _ = FileManager.default.createFile(atPath: flag.path, contents: nil)
        let replies = try await nobodys
        #expect(replies.count == 2)
        let nobodysLease = try #require(replies.first?["parameters"]?["lease"]?.stringValue)
        #expect(nobodysLease != setup.lease)
        // A new uid's first Acquire is not a reuse of root's pin.
        #expect(replies.first?["parameters"]?["reused"] == false)
        let listed = replies.last?["parameters"]?["leases"]?.arrayValue ?? []
        #expect(listed.compactMap { $0["lease"]?.stringValue } == [nobodysLease])
        #expect(listed.first?["email"] == "b@example.net")
        #expect(rootsDuringNobodysLease == [setup.lease])
        await setup.daemon.stop()
    }

    @Test func nobodyMayNotFlushTheCache() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        _ = try await daemon.call(.lookup, ["email": "a@example.net"])
        let cached = try await #require(try daemon.call(.stats)["cachedNames"]?.intValue)
        #expect(cached > 0)
        let replies = try await callAsNobody(socket: daemon.socket, [
            call(.flush), call(.flush, ["domain": "example.net"]),
        ])
        #expect(replies.map { $0["error"] } == Array(repeating: .string(DiscoveryInterface.Error.permissionDenied.qualifiedName), count: 2))
        await #expect(try daemon.call(.stats)["cachedNames"]?.intValue == cached)
        await daemon.stop()
    }

    @Test func nobodysLookupIsServedFromTheCacheRootFilled() async throws {
        let setup = try await RootWithLease()
        let rootLookup = try await setup.root.call(DiscoveryInterface.Method.lookup.qualifiedName,
                                             ["email": "a@example.net", "want": "submission"])
        #expect(rootLookup["source"] == "dns")
        let replies = try await callAsNobody(socket: setup.daemon.socket, [
            call(.lookup, ["email": "other@example.net", "want": "submission"]),
        ])
        let reply = try #require(replies.first)
        #expect(reply["error"] == nil)
        let parameters = try #require(reply["parameters"]?.objectValue)
        #expect(parameters["source"] == "cache")
        #expect(parameters["domain"] == "example.net")
        #expect(hostsAndPorts(parameters["candidates"]).sorted() == hostsAndPorts(rootLookup["candidates"]).sorted())
        await #expect(try setup.rootLeases() == [setup.lease])
        await setup.daemon.stop()
    }

    @Test func theSocketIsOpenToEveryLocalUser() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        var status = stat()
        #expect(stat(daemon.socket, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o666)
        let replies = try await callAsNobody(socket: daemon.socket, [
            #"{"method": "org.varlink.service.GetInfo"}"#, call(.stats),
        ])
        #expect(replies.count == 2)
        #expect(replies.first?["parameters"]?["product"] == "mailsrvd")
        #expect(replies.last?["error"] == nil)
        #expect(replies.last?["parameters"]?["clients"]?.intValue ?? 0 >= 1)
        await daemon.stop()
    }

    // MARK: Helpers

    /// One call as a message, for `callAsNobody`.
    private func call(_ method: DiscoveryInterface.Method, _ parameters: JSONObject = [:]) -> String {
        VarlinkCall(method: method.qualifiedName, parameters: parameters).serialized()
    }

    /// Like `callAsNobody`, on one connection, sending each message after the first only
    /// once the file `flag` exists (bounded: the connection ends after 30 s without it).
    private func callAsNobodyOnOneConnection(socket: String, _ messages: [String], waitingBetweenFor flag: String) async throws -> [JSONValue] {
        // The messages travel as positional parameters of the shell: no quoting. Polls every
        // 50 ms: each poll starts a `sleep`, and the test runs beside hundreds of others.
        let wait = #"i=0; while [ ! -e "$0" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done"#
        let script = messages.indices.map { #"printf '%s\0' "$\#($0 + 1)""# }.joined(separator: "; \(wait); ")
        let result = try await ChildProcess.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c",
            "(\(script)) | /usr/bin/socat -t 5 - UNIX-CONNECT:\(socket)", flag,
        ] + messages)
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\0").map { try JSONValue(parsing: Array($0.utf8)) }
    }

    private func hostsAndPorts(_ candidates: JSONValue?) -> [String] {
        (candidates?.arrayValue ?? []).map { "\($0["host"]?.stringValue ?? "?"):\($0["port"]?.intValue ?? 0)" }
    }
}
