// libFuzzer target: the whole server side of one Varlink connection, as the daemon builds
// it — VarlinkFrameDecoder (NUL framing, message size limit, decodeLast at end of input),
// VarlinkCall decoding, VarlinkConnectionHandler (ordering, in-flight limit, closing on
// garbage, org.varlink.service answers) and MailSRVDaemon.DiscoveryService's dispatch of
// every io.mailsrvd.Discovery method (Lookup, Acquire, Report, Release, ListLeases,
// Flush, Stats) with its parameter checks, the mail address parser, the TTL cache,
// ordering, pins and leases — the daemon built by Engine, its composition root, as
// mailsrvd builds it (only the upstream is the stub below).
//
// The input is the byte stream a client sends; then the client half-closes. The
// connection must close by itself once every call has run (checked directly: the harness
// runs everything on one thread, see InlineExecutor), and
// everything written back must be NUL-terminated messages, each a JSON object (checked
// with Foundation's JSONSerialization, not the daemon's own parser) with either a string
// "error" or an object "parameters".
//
// DNS: `StubDNS` answers at once from the name (SRV records for names containing "srv",
// a failure for names containing "fail", NXDOMAIN for the rest; A and AAAA alike), so the
// success, negative and failure paths of dispatch run without any network, and fast.
// The peer uid is 0 for even-length inputs (Flush allowed) and 1000 for odd ones.
import Dispatch
import Glibc
import Foundation
import Logging
import MailDiscovery
import MailSRVDaemon
import NIOCore
import NIOEmbedded
import Varlink

struct StubDNS: DaemonUpstream {
    func shutdown() {}

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

/// The daemon's limits scaled down, so that inputs within fuzz/run.sh's length cap (1024
/// bytes) reach them: 768 bytes per message (64 KiB in the daemon, tested in
/// HostileInputTests; the longest well-formed Lookup is ~620 bytes) and 4 unfinished calls
/// per connection (16 in the daemon).
let (maxMessageSize, maxInFlight) = (768, 4)
let host = DiscoverySettings(clientHost: "ws1.example.net", hostFamilies: LocalHost.addressFamilies())
/// The daemon's configuration with its state and cache in a directory of this process
/// (nothing is written: the engine is never saved).
let (configuration, paths): (DaemonConfiguration, DaemonPaths) = {
    var configuration = DaemonConfiguration()
    configuration.limits.connectionsPerUser = 8
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-varlink-\(getpid())").path
    configuration.stateDirectory = directory + "/state"
    configuration.cacheDirectory = directory + "/cache"
    return (configuration, DaemonPaths(configuration, environment: [:]))
}()
let quietLogger: Logger = {
    var logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

// One thread does everything: the connection runs on an EmbeddedChannel, and every job
// Swift concurrency would put on its global executor (the tasks of calls that need the
// resolver, the resolver's own tasks, connectionClosed) is caught by the runtime's
// enqueue hook and run here, in order, until nothing is left. So an input is answered
// without thread hops or waiting, always in the same order (a finding replays exactly),
// and everything it allocated is freed again before LLVMFuzzerTestOneInput returns:
// libFuzzer then has no reason to run a LeakSanitizer pass after each input, which made
// the previous harness (NIOAsyncTestingChannel, a Task and a semaphore per input) slow.
final class InlineExecutor: SerialExecutor, @unchecked Sendable {
    /// Only touched on the fuzzing thread (the hook hands other threads' jobs on).
    var jobs: [UnownedJob] = []
    let thread = pthread_self()

    func enqueue(_ job: consuming ExecutorJob) { jobs.append(UnownedJob(job)) }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    var onItsThread: Bool { pthread_equal(thread, pthread_self()) != 0 }

    /// Runs the jobs enqueued so far and the ones they enqueue; false if there were none.
    func drain() -> Bool {
        var ran = false
        while !jobs.isEmpty {
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            ran = true
        }
        return ran
    }
}

let inline = InlineExecutor()
/// FUZZ_SHOW_REPLIES=1: print what the daemon wrote back (to look at one input).
nonisolated(unsafe) var showReplies = false

typealias EnqueueOriginal = @convention(thin) (UnownedJob) -> Void
typealias EnqueueHook = @convention(thin) (UnownedJob, EnqueueOriginal) -> Void

func installInlineExecutor() {
    precondition(inline.onItsThread)  // initializes `inline` on this thread, before the hook can run
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "swift_task_enqueueGlobal_hook") else {
        fatalError("swift_task_enqueueGlobal_hook not found in the Swift runtime")
    }
    symbol.assumingMemoryBound(to: EnqueueHook?.self).pointee = { job, original in
        if inline.onItsThread { inline.jobs.append(job) } else { original(job) }
    }
    // A task made here must land in `inline`, or the runtime ignores the hook.
    _ = Task { 1 }
    precondition(inline.jobs.count == 1, "swift_task_enqueueGlobal_hook is not honoured by this Swift runtime")
    _ = inline.drain()
}

func runConnection(_ input: [UInt8]) throws -> [UInt8] {
    let engine = try Engine(configuration: configuration, paths: paths, upstream: { _ in StubDNS() }, host: host,
                            logger: quietLogger)
    let service = engine.service
    let channel = EmbeddedChannel()
    let connection = VarlinkConnectionContext(id: 1, peerUID: input.count % 2 == 0 ? 0 : 1000)
    try channel.pipeline.syncOperations.addVarlinkServerHandlers(
        service: service, info: Daemon.info, connection: connection,
        maxMessageSize: maxMessageSize, maxInFlight: maxInFlight)
    try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    if !input.isEmpty {
        try channel.writeInbound(channel.allocator.buffer(bytes: input))
    }
    channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    // Calls that went to tasks finish here; their replies are written as they come.
    repeat { channel.embeddedEventLoop.run() } while inline.drain()
    precondition(!channel.isActive, "the connection did not close by itself: nothing is left to run")
    var output: [UInt8] = []
    while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
        output += buffer.readableBytesView
    }
    _ = try? channel.finish(acceptAlreadyClosed: true)
    repeat { channel.embeddedEventLoop.run() } while inline.drain()  // connectionClosed
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

@_cdecl("LLVMFuzzerInitialize")
public func fuzzVarlinkInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    installInlineExecutor()
    showReplies = getenv("FUZZ_SHOW_REPLIES") != nil
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVarlinkConnection(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    precondition(inline.onItsThread, "libFuzzer called from another thread than LLVMFuzzerInitialize")
    let input = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    do {
        let output = try runConnection(input)
        if showReplies { print(String(decoding: output.map { $0 == 0 ? 0x0A : $0 }, as: UTF8.self)) }
        check(output)
    } catch {
        preconditionFailure("the test channel failed: \(error)")
    }
    return 0
}
