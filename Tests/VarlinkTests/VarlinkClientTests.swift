import Foundation
import NIOCore
import NIOPosix
import Testing
import Varlink

/// A real server on a Unix socket in a fresh temporary directory.
private struct Server {
    let directory: String
    let path: String
    let channel: any Channel

    init() async throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("varlink-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.path = self.directory + "/org.example.Test"
        let service = TestService()
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addVarlinkServerHandlers(
                        service: service, info: testInfo, connection: VarlinkConnectionContext(id: 1, peerUID: getuid())
                    )
                }
            }
            .bind(unixDomainSocketPath: self.path).get()
    }

    func stop() async throws {
        try await self.channel.close()
        try FileManager.default.removeItem(atPath: self.directory)
    }
}

/// Runs blocking client code off the cooperative thread pool, which the server's calls need.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}

@Suite struct VarlinkClientTests {
    @Test func callsARealServer() async throws {
        let server = try await Server()
        let path = server.path
        let replies = try await blocking {
            let client = try VarlinkClient.connect(to: path, timeout: .seconds(5))
            defer { client.close() }
            return [
                try client.call("org.example.Test.Echo", ["text": "hello\u{0}world"]),
                try client.call("org.varlink.service.GetInfo"),
                try client.call("org.example.Test.Boom"),
                try client.call("org.example.Test.Echo", ["text": "again"]),
            ]
        }
        #expect(replies[0] == VarlinkReply(parameters: ["text": "hello\u{0}world"]))
        #expect(replies[1].parameters["product"] == "testd")
        #expect(replies[2].varlinkError == VarlinkError(name: "org.example.Test.Boom", parameters: ["reason": "asked for"]))
        #expect(replies[3] == VarlinkReply(parameters: ["text": "again"]))
        try await server.stop()
    }

    @Test func missingSocketMeansTheServerIsNotRunning() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("varlink-missing-\(UUID())").path
        #expect(throws: VarlinkClientError.noSuchSocket(path: path)) { try VarlinkClient.connect(to: path) }
        #expect(VarlinkClientError.noSuchSocket(path: path).isServerNotRunning)
    }

    @Test func staleSocketFileMeansTheServerIsNotRunning() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("varlink-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/stale"
        // A socket bound but never listening: what a crashed server leaves behind.
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        let address = try SocketAddress(unixDomainSocketPath: path)
        let bound = address.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        try #require(bound == 0)
        #expect(throws: VarlinkClientError.connectionRefused(path: path)) { try VarlinkClient.connect(to: path) }
    }

    @Test func overlongPathIsRejected() {
        let path = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: VarlinkClientError.invalidPath(path)) { try VarlinkClient.connect(to: path) }
    }

    @Test func slowReplyTimesOut() async throws {
        let server = try await Server()
        let path = server.path
        let outcome = try await blocking { () -> VarlinkClientError? in
            let client = try VarlinkClient.connect(to: path, timeout: .milliseconds(100))
            do throws(VarlinkClientError) {
                _ = try client.call("org.example.Test.Sleep", ["id": 1, "ms": 2000])
                return nil
            } catch {
                return error
            }
        }
        #expect(outcome == .timedOut)
        try await server.stop()
    }

    @Test func callAfterCloseFails() async throws {
        let server = try await Server()
        let path = server.path
        let outcome = try await blocking { () -> VarlinkClientError? in
            let client = try VarlinkClient.connect(to: path)
            client.close()
            do throws(VarlinkClientError) {
                _ = try client.call("org.varlink.service.GetInfo")
                return nil
            } catch {
                return error
            }
        }
        #expect(outcome == .connectionClosed)
        try await server.stop()
    }
}
