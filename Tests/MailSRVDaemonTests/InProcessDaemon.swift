import Foundation
import KnotHarness
import Logging
import MailDiscovery
import MailSRVDaemon
import MailSRVInterface
import Resolver
import Synchronization
import Testing
import Varlink

/// A clock the test moves by hand.
final class ManualTime: TimeSource {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// One Knot server for the tests that only read the zones.
enum SharedKnot {
    private static let task = Task { try await KnotServer.start() }
    static func server() async throws -> KnotServer { try await task.value }
}

/// Runs `body` with the daemon built as `mailsrvd` builds it (`Engine`), in process: its
/// upstream the shared Knot server (or `upstream`), its clock `time`, its state and cache
/// in a temporary directory. The upstream is stopped and the directory removed when `body`
/// returns or throws.
func withDaemon<T>(upstream: String? = nil, time: ManualTime = ManualTime(),
                   configure: (inout DaemonConfiguration) -> Void = { _ in },
                   _ body: (InProcessDaemon) async throws -> T) async throws -> T {
    var configuration = DaemonConfiguration()
    var forwarder = upstream ?? ""
    if upstream == nil { forwarder = try await SharedKnot.server().forwarder }
    configuration.resolver = ResolverConfiguration(upstreams: [forwarder], trustAnchorFile: nil, queryTimeout: .seconds(2))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvd-test-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    configuration.stateDirectory = directory.appendingPathComponent("state").path
    configuration.cacheDirectory = directory.appendingPathComponent("cache").path
    configure(&configuration)
    let engine = try Engine(configuration: configuration, paths: DaemonPaths(configuration, environment: [:]),
                            time: time, host: DiscoverySettings(clientHost: nil, hostFamilies: [.ipv6, .ipv4]),
                            logger: Logger(label: "test"))
    defer { engine.shutdown() }
    return try await body(InProcessDaemon(engine: engine, time: time))
}

/// The daemon's Varlink service, called in process as a connection of a chosen peer uid
/// would call it.
struct InProcessDaemon {
    let engine: Engine
    let time: ManualTime

    var service: DiscoveryService { engine.service }

    /// The reply to one call on connection `connection` of `uid`.
    func call(_ parameters: some DiscoveryCall, uid: UInt32 = 1000, connection: UInt64 = 1) async -> VarlinkReply {
        do {
            return try await service.handle(VarlinkCall(parameters), context: VarlinkConnectionContext(id: connection, peerUID: uid))
        } catch {
            return error.reply
        }
    }

    /// The call's reply, typed; checks that the typed form holds every parameter.
    func reply<Call: DiscoveryCall>(to parameters: Call, uid: UInt32 = 1000, connection: UInt64 = 1) async throws -> Call.Reply {
        try Self.typed(await call(parameters, uid: uid, connection: connection), of: Call.self)
    }

    /// The reply `answerImmediately` gives on the event loop; nil when the call needs waiting.
    func immediateReply<Call: DiscoveryCall>(to parameters: Call, uid: UInt32 = 1000) throws -> Call.Reply? {
        let context = VarlinkConnectionContext(id: 1, peerUID: uid)
        return try service.answerImmediately(VarlinkCall(parameters), context: context).map { reply in
            try Self.typed(reply, of: Call.self)
        }
    }

    /// The call's error reply, typed; checks that the typed form holds every parameter.
    func failure(_ parameters: some DiscoveryCall, uid: UInt32 = 1000, connection: UInt64 = 1) async throws -> DiscoveryInterface.Failure {
        let reply = await call(parameters, uid: uid, connection: connection)
        let error = try #require(reply.varlinkError, "\(reply.serialized())")
        let failure = try #require(try DiscoveryInterface.Failure(error), "\(error)")
        #expect(failure.varlinkError == error, "the typed error holds every parameter")
        return failure
    }

    /// The error a call fails with, for errors outside the interface's own
    /// (`org.varlink.service.InvalidParameter`, …); nil when it succeeds.
    func varlinkError(_ call: VarlinkCall, uid: UInt32 = 1000) async -> VarlinkError? {
        do {
            _ = try await service.handle(call, context: VarlinkConnectionContext(id: 1, peerUID: uid))
            return nil
        } catch {
            return error
        }
    }

    /// What the daemon does when connection `connection` closes.
    func close(connection: UInt64, uid: UInt32 = 1000) async {
        await service.connectionClosed(VarlinkConnectionContext(id: connection, peerUID: uid))
    }

    private static func typed<Call: DiscoveryCall>(_ reply: VarlinkReply, of: Call.Type) throws -> Call.Reply {
        #expect(reply.error == nil, "\(reply.serialized())")
        let typed = try Call.Reply(parameters: reply.parameters)
        #expect(typed.parameters == reply.parameters, "the typed reply holds every parameter")
        return typed
    }
}
