import Foundation
import KnotHarness
import MailSRVInterface
import Synchronization
import Testing
import TestSupport
import Varlink

/// The fast parts of the flood and crash checks (`make soak` runs the long ones): a zone
/// changing under a flood of Lookups, and `kill -9` in the middle of one.
@Suite(.timeLimit(.minutes(1))) struct FloodTests {
    @Test func aZoneChangeMidFloodIsSeenWithinItsTTLAndNoCallFails() async throws {
        let knot = try await KnotServer.start(signing: false)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder)
        let flood = FloodClients(socket: daemon.socket, count: 6, email: "a@live.example.net", want: "imaps")
        #expect(try await eventually(within: 20) { flood.served >= 20 }, "some replies before the change")
        // Replies before the change starts must be old; the new data may show from then on
        // (knot serves it before `change` returns), and must within the TTL after it returned.
        let changing = ContinuousClock.now
        try await knot.change(zone: "example.net", [
            .unset(owner: "live", type: "A"), .set(owner: "live", ttl: 2, type: "A", data: "127.0.0.98"),
        ])
        let changed = ContinuousClock.now
        // Until every client has been answered past the TTL (2 s, and libunbound counts whole seconds).
        #expect(try await eventually(within: 20) { flood.servedSince(changed + .milliseconds(3500)) == 6 })
        let result = await flood.finish()
        #expect(result.failures == [], "well-formed Lookups failed during the zone change")
        #expect(result.replies.count > 50)
        var old = 0, new = 0
        for (time, reply) in result.replies {
            let addresses = Set(hostsAndAddresses(reply).flatMap { $0.split(separator: " ").dropFirst().map(String.init) })
            let isOld = addresses.contains("127.0.0.41"), isNew = addresses.contains("127.0.0.98")
            #expect(isOld != isNew, "\(addresses)")
            if isOld { old += 1 }
            if isNew { new += 1 }
            // TTL 2 s in the zone: nothing may serve the old address long past it.
            if time > changed + .milliseconds(3500) {
                #expect(isNew, "the old address served \(time - changed) after the change")
            }
            if time < changing {
                #expect(isOld)
            }
        }
        #expect(old > 0 && new > 0)
        await daemon.stop()
        await knot.stop()
    }

    @Test func kill9DuringAFloodClientsReconnectAndThePinComesBack() async throws {
        let knot = try await SharedKnot.server()
        let config = "[Discovery]\nSaveInterval=1s\n"
        let first = try await DaemonProcess(dnsServer: knot.forwarder, config: config)
        let holder = try await first.connect()
        let before = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                     ["email": "a@example.net", "want": "imaps"])
        #expect(before.error == nil)
        let flood = FloodClients(socket: first.socket, count: 8, email: "flood@example.net", want: "retrieval",
                                 reconnect: true)
        // One periodic save of the pin, under load.
        #expect(try await eventually(within: 20) { flood.served > 0 && first.hasSavedPin })
        let servedBefore = flood.served
        #expect(await first.stop(signal: SIGKILL) == SIGKILL)
        let second = try await DaemonProcess(dnsServer: knot.forwarder, config: config, directory: first.directory)
        let restarted = ContinuousClock.now
        #expect(try await eventually(within: 20) { flood.servedSince(restarted) == 8 }, "every client back")
        let result = await flood.finish()
        #expect(servedBefore > 0)
        #expect(result.failures == [], "a well-formed call got an error reply")
        // Every flooding client got through again after the restart.
        #expect(result.lastSuccess.count == 8)
        #expect(result.lastSuccess.values.allSatisfy { $0 > restarted })
        let after = try await second.connect().call(DiscoveryInterface.Method.acquire.qualifiedName,
                                              ["email": "b@example.net", "want": "imaps"])
        #expect(after["reused"] == true)
        #expect(after.endpointWithoutTTL == before.endpointWithoutTTL && after["address"] == before["address"])
        await second.stop()
    }
}

extension FloodTests {
    /// Regression: the connection handler kept reading calls from a client that never read
    /// its replies, so NIO queued the replies in memory without bound (a local user could
    /// grow the daemon by hundreds of MB a minute). It now stops reading while the
    /// connection is not writable.
    @Test func aClientThatNeverReadsItsRepliesCannotMakeTheDaemonBufferThem() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        _ = try await daemon.call(.lookup, ["email": "warm@example.net", "want": "retrieval"])
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(daemon.socket.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(connected == 0)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let call = Array(#"{"method":"io.mailsrvd.Discovery.Lookup","parameters":{"email":"w@example.net","want":"retrieval"}}"#.utf8) + [0]
        let batch = Array([[UInt8]](repeating: call, count: 100).joined())
        var sent = 0, offset = 0
        var lastProgress = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(8)
        // Send calls until the daemon stops taking them for 2 s (or 8 s pass).
        while ContinuousClock.now < deadline, ContinuousClock.now - lastProgress < .seconds(2) {
            let count = batch.withUnsafeBytes { send(fd, $0.baseAddress! + offset, batch.count - offset, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
                offset = (offset + count) % batch.count
                lastProgress = ContinuousClock.now
            } else {
                var events = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&events, 1, 100)
            }
        }
        // The daemon must stop taking calls (kernel buffers and NIO's write watermark hold a
        // few hundred KB); before the fix it read on, about 1.5 MB in 8 s on a debug build.
        #expect(ContinuousClock.now - lastProgress >= .seconds(2), "the daemon kept reading calls whose replies nobody reads")
        #expect(sent < 1024 * 1024, "the daemon took \(sent / 1024) KiB of calls whose replies nobody reads")
        await #expect(try daemon.call(.lookup, ["email": "other@example.net", "want": "imaps"]).error == nil)
        await daemon.stop()
    }
}

/// Hostile users that SecurityTests and HostileInputTests do not cover: one uid holding all
/// of its connections, guessing lease ids, reading state files; and what reaches the log.
@Suite(.timeLimit(.minutes(1))) struct HostileUserTests {
    @Test func aUidAtItsConnectionLimitDoesNotStarveAnotherUid() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                             config: "[Discovery]\nMaxConnectionsPerUser=8\n")
        // Root opens connections until the daemon refuses one.
        var held: [DaemonConnection] = []
        var refused = false
        for _ in 0..<40 {
            let (client, reply) = try await DaemonConnection.connectAndCall(
                socket: daemon.socket, DiscoveryInterface.Method.stats.qualifiedName)
            if reply.errorName == "TooManyRequests" {
                refused = true
                break
            }
            #expect(reply.error == nil)
            held.append(client)
        }
        #expect(refused)
        #expect(held.count <= 8)
        // Another uid is served all the same, and so are root's open connections.
        let replies = try await callAsNobody(socket: daemon.socket, [
            #"{"method":"io.mailsrvd.Discovery.Lookup","parameters":{"email":"n@example.net","want":"imaps"}}"#,
        ])
        #expect(replies.count == 1)
        #expect(replies.first?["error"] == nil)
        #expect(replies.first?["parameters"]?.objectValue?["domain"] == "example.net")
        for client in held {
            await #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "r@example.net"]).error == nil)
        }
        await daemon.stop()
    }

    @Test func leaseIdsAre128BitRandomHex() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        var ids: [String] = []
        for index in 0..<64 {
            // Fresh connections and domains: no pin makes two leases related.
            let domain = ["example.net", "regional.example.net", "nopop.example.net"][index % 3]
            let reply = try await daemon.connect().call(DiscoveryInterface.Method.acquire.qualifiedName,
                                                  ["email": .string("u\(index)@\(domain)"), "want": "imaps"])
            ids.append(try #require(reply["lease"]?.stringValue))
        }
        let hex = Set("0123456789abcdef")
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(hex.contains) })
        #expect(Set(ids).count == ids.count)
        // Not a counter, nor a shared prefix: 64 random 32-bit prefixes do not collide.
        #expect(Set(ids.map { $0.prefix(8) }).count == ids.count)
        #expect(Set(ids.map { $0.suffix(8) }).count == ids.count)
        // Every bit position varies.
        let bits = ids.map { id in id.compactMap { $0.hexDigitValue } }
        for position in 0..<32 {
            #expect(Set(bits.map { $0[position] }).count > 1)
        }
        await daemon.stop()
    }

    @Test func noLocalPartReachesTheLogAtInfo() async throws {
        let knot = try await SharedKnot.server()
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, logLevel: "info")
        let client = try await daemon.connect()
        for want in ["retrieval", "submission", "imaps"] {
            _ = try await client.call(DiscoveryInterface.Method.lookup.qualifiedName,
                                ["email": "secretlocalpart@example.net", "want": .string(want)])
        }
        _ = try await client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "secretlocalpart@nxdomain.example.net"])
        _ = try await client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "secretlocalpart@bad..example.net"])
        _ = try await client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "secretlocalpart@nothing.example.net"])
        let lease = try await client.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                    ["email": "secretlocalpart@example.net", "want": "imaps"])
        let id = try #require(lease["lease"]?.stringValue)
        _ = try await client.call(DiscoveryInterface.Method.report.qualifiedName, ["lease": .string(id), "outcome": "failed"])
        _ = try await client.call(DiscoveryInterface.Method.listLeases.qualifiedName)
        _ = try await client.call(DiscoveryInterface.Method.release.qualifiedName, ["lease": .string(id)])
        _ = try await client.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "secretlocalpart@nothing.example.net"])
        client.close()
        await daemon.stop()
        let log = daemon.log
        #expect(log.contains("acquire"), "info messages are logged at all")
        #expect(!log.contains("secretlocalpart"))
    }

    @Test func stateFilesAndDirectoriesAreTheOwnersOnly() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let holder = try await daemon.connect()
        await #expect(try holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"]).error == nil)
        #expect(await daemon.stop() == 0)
        func mode(_ path: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: daemon.directory.appendingPathComponent(path).path)[.posixPermissions] as? Int
        }
        #expect(try mode("state") == 0o700)
        #expect(try mode("cache") == 0o700)
        #expect(try mode("state/pins.json") == 0o600)
        #expect(try mode("cache/cache.json") == 0o600)
        for file in ["state/pins.json", "cache/cache.json"] {
            let read = try await ChildProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                         "/bin/cat", daemon.directory.appendingPathComponent(file).path])
            #expect(read.status != 0, "nobody read \(file)")
            #expect(read.stdout.isEmpty)
        }
    }

    /// Regression: state files were written by FileManager.createFile, which creates the file
    /// 0666 & ~umask and chmods it to 0600 only after the rename; in a directory others can
    /// enter (made beforehand with a lax mode) they could open it in that window. Now the
    /// file is created 0600. This watches every file of such a directory across saves: each
    /// file event there (inotify) wakes a watcher, which looks at the file named at once and
    /// then at every file, so it looks when a file appears, not in a busy loop.
    @Test func noStateFileIsEverVisibleWithAModeOtherThan0600() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvd-\(UUID().uuidString.prefix(8))")
        for sub in ["state", "cache"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub),
                                                    withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        let watcher = try FileModeWatcher(directory: directory, subdirectories: ["state", "cache"])
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder,
                                             config: "[Discovery]\nSaveInterval=1s\n", directory: directory)
        let holder = try await daemon.connect()
        await #expect(try holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"]).error == nil)
        let deadline = ContinuousClock.now + .milliseconds(3500)
        let watching = Task { try await onOwnThread { watcher.watch(until: deadline) } }
        var round = 0
        while ContinuousClock.now < deadline {
            // Changing pins every 20 ms makes every save write.
            _ = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                      ["email": .string("u\(round)@example.net"), "want": "imaps"])
            round += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        let (seen, noticed) = try await watching.value
        #expect(seen.isEmpty, "state files seen with another mode: \(seen.mapValues { String($0, radix: 8) })")
        // The saves were watched: the watcher was woken by the pin file's.
        #expect(noticed.contains("state/pins.json"), "\(noticed)")
        await daemon.stop()
    }
}

/// Clients doing one call in a loop, each on its own thread and connection, a call every
/// 20 ms or so, until `finish()`: calls keep arriving throughout a zone change or a kill,
/// each client gets dozens of replies a second, hundreds in all, far more than the checks
/// count (50); calling flat out only took the CPU of the tests running alongside.
/// With `reconnect`, a broken connection (daemon killed) is opened again,
/// retried for up to 20 s; a transport error is not a failure then, an error *reply* is.
final class FloodClients: Sendable {
    struct Result {
        var replies: [(ContinuousClock.Instant, VarlinkReply)] = []
        var failures: [String] = []
        var lastSuccess: [Int: ContinuousClock.Instant] = [:]
    }

    private struct State {
        var stop = false
        var running = 0
        var result = Result()
        var served = 0
    }

    private let state = Mutex(State())

    init(socket: String, count: Int, email: String, want: String, reconnect: Bool = false) {
        state.withLock { $0.running = count }
        for index in 0..<count {
            Thread.detachNewThread { [self] in
                var client: VarlinkClient?
                var brokenSince: ContinuousClock.Instant?
                while !self.state.withLock({ $0.stop }) {
                    do {
                        if client == nil { client = try VarlinkClient.connect(to: socket, timeout: .seconds(10)) }
                        let reply = try client!.call(DiscoveryInterface.Method.lookup.qualifiedName,
                                                     ["email": .string(email), "want": .string(want)])
                        let now = ContinuousClock.now
                        brokenSince = nil
                        self.state.withLock { state in
                            if reply.error != nil {
                                state.result.failures.append("\(reply)")
                            } else {
                                state.served += 1
                                state.result.replies.append((now, reply))
                                state.result.lastSuccess[index] = now
                            }
                        }
                    } catch {
                        client?.close()
                        client = nil
                        let now = ContinuousClock.now
                        if brokenSince == nil { brokenSince = now }
                        if !reconnect || now - brokenSince! > .seconds(20) {
                            self.state.withLock { $0.result.failures.append("client \(index): \(error)") }
                            break
                        }
                        usleep(20_000)
                    }
                    usleep(20_000)
                }
                client?.close()
                self.state.withLock { $0.running -= 1 }
            }
        }
    }

    /// Successful calls so far.
    var served: Int { state.withLock { $0.served } }

    /// How many clients have had a call succeed after `instant`.
    func servedSince(_ instant: ContinuousClock.Instant) -> Int {
        state.withLock { $0.result.lastSuccess.values.count { $0 > instant } }
    }

    func finish() async -> Result {
        state.withLock { $0.stop = true }
        while state.withLock({ $0.running > 0 }) { try? await Task.sleep(for: .milliseconds(5)) }
        return state.withLock { $0.result }
    }
}
