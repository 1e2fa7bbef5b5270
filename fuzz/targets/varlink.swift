// libFuzzer target: the whole server side of one Varlink connection, as the daemon builds
// it — VarlinkFrameDecoder (NUL framing, 64 KiB limit, decodeLast at end of input),
// VarlinkCall decoding, VarlinkConnectionHandler (ordering, in-flight limit, closing on
// garbage, org.varlink.service answers) and MailSRVDaemon.DiscoveryService's dispatch of
// every io.mailsrvd.Discovery method (Lookup, Acquire, Report, Release, ListLeases,
// Flush, Stats) with its parameter checks, the mail address parser, the TTL cache,
// ordering, pins and leases.
//
// The input is the byte stream a client sends; then the client half-closes. The
// connection must close by itself (a hang is caught by libFuzzer's -timeout), and
// everything written back must be NUL-terminated messages, each a JSON object (checked
// with Foundation's JSONSerialization, not the daemon's own parser) with either a string
// "error" or an object "parameters".
//
// DNS: `StubDNS` answers at once from the name (SRV records for names containing "srv",
// a failure for names containing "fail", NXDOMAIN for the rest; A and AAAA alike), so the
// success, negative and failure paths of dispatch run without any network, and fast.
// The peer uid is 0 for even-length inputs (Flush allowed) and 1000 for odd ones.
import Dispatch
import Foundation
import Logging
import MailDiscovery
import MailSRVDaemon
import NIOCore
import NIOEmbedded
import Varlink

struct StubDNS: DNSQuerying {
    func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
        if name.contains("fail") { return .failure(ResolutionFailure(reason: "stub failure")) }
        switch type {
        case .srv:
            guard name.contains("srv") else { return .success(DNSAnswer(outcome: .noDomain, ttl: 60, dnssec: .insecure)) }
            return .success(DNSAnswer(outcome: .records, services: [
                SRVRecord(priority: 0, weight: 1, port: 993, target: "a.example.net"),
                SRVRecord(priority: 0, weight: 3, port: 993, target: "b.example.net"),
                SRVRecord(priority: 10, weight: 0, port: 143, target: "fail.example.net"),
            ], ttl: name.contains("zero") ? 0 : 300, dnssec: .insecure))
        case .a:
            return .success(DNSAnswer(outcome: .records, addresses: ["192.0.2.1", "192.0.2.2"], ttl: 300, dnssec: .insecure))
        case .aaaa:
            return .success(name.hasPrefix("a.")
                ? DNSAnswer(outcome: .records, addresses: ["2001:db8::1"], ttl: 300, dnssec: .insecure)
                : DNSAnswer(outcome: .noData, ttl: 60, dnssec: .insecure))
        }
    }
}

let settings = DiscoverySettings(clientHost: "ws1.example.net", hostFamilies: LocalHost.addressFamilies())
let quietLogger: Logger = {
    var logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

final class Box<T>: @unchecked Sendable { var value: T?; init() {} }

func runConnection(_ input: [UInt8]) async throws -> [UInt8] {
    let service = DiscoveryService(
        discovery: Discovery(resolver: CachingResolver(upstream: StubDNS()), settings: settings),
        registry: LeaseRegistry(), limits: UserLimits(maxConnections: 8, maxCallsInFlight: 64), logger: quietLogger)
    let channel = NIOAsyncTestingChannel()
    let connection = VarlinkConnectionContext(id: 1, peerUID: input.count % 2 == 0 ? 0 : 1000)
    try await channel.testingEventLoop.executeInContext {
        try channel.pipeline.syncOperations.addVarlinkServerHandlers(
            service: service, info: Daemon.info, connection: connection)
    }
    try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
    if !input.isEmpty {
        try await channel.writeInbound(channel.allocator.buffer(bytes: input))
    }
    channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    try await channel.closeFuture.get()
    var output: [UInt8] = []
    while let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
        output += buffer.readableBytesView
    }
    _ = try? await channel.finish(acceptAlreadyClosed: true)
    return output
}

func check(_ output: [UInt8]) {
    guard !output.isEmpty else { return }
    precondition(output.last == 0, "the reply stream does not end with NUL")
    for message in output.split(separator: 0, omittingEmptySubsequences: false).dropLast() {
        let object = try? JSONSerialization.jsonObject(with: Data(message))
        guard let reply = object as? [String: Any] else {
            preconditionFailure("not a JSON object: \(String(decoding: message, as: UTF8.self))")
        }
        let hasError = reply["error"] is String
        let hasParameters = reply["parameters"] is [String: Any]
        precondition(hasError || hasParameters, "neither error nor parameters: \(String(decoding: message, as: UTF8.self))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVarlinkConnection(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    let done = DispatchSemaphore(value: 0)
    let result = Box<Result<[UInt8], any Error>>()
    Task {
        do { result.value = .success(try await runConnection(input)) } catch { result.value = .failure(error) }
        done.signal()
    }
    done.wait()
    switch result.value! {
    case .success(let output): check(output)
    case .failure(let error): preconditionFailure("the test channel failed: \(error)")
    }
    return 0
}
