import Foundation
import Logging
import MailDiscovery
import MailSRVDaemon
import Varlink

/// `mailsrvbench inprocess`: one cached `Lookup` as the daemon runs it on its event loop
/// (the call decoded from its bytes, answered from the cache, the reply encoded), without
/// the socket, so the daemon's own cost can be set against the transport floor.
///
/// The cache holds the bench zone's shape (`bench/genzone.py`): `user@wN.bench.example`
/// with 4 SRV services, 2 targets, A and AAAA each.
enum InProcessBench {
    /// Nanoseconds per call in each step, averaged over `calls` calls cycling through `domains` domains.
    struct Figures {
        var decode: Double
        var answer: Double
        var encode: Double
    }

    static func run(calls: Int, domains: Int) throws(BenchError) -> Figures {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvbench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine: Engine
        do {
            engine = try makeEngine(domains: domains, directory: directory.path)
        } catch {
            throw .protocolError("cannot build the daemon: \(error)")
        }
        defer { engine.shutdown() }
        let service = engine.service
        let messages = (0..<domains).map { n in
            Array(#"{"method":"io.mailsrvd.Discovery.Lookup","parameters":{"email":"user@w\#(n).bench.example"}}"#.utf8)
        }
        let context = VarlinkConnectionContext(id: 1, peerUID: 1000)
        var (decode, answer, encode) = (Duration.zero, Duration.zero, Duration.zero)
        let clock = ContinuousClock()
        var bytes = 0
        for index in 0..<calls {
            let start = clock.now
            guard let call = try? VarlinkCall(message: messages[index % domains]) else { throw .protocolError("bad call") }
            let decoded = clock.now
            guard let reply = service.answerImmediately(call, context: context), reply.error == nil else {
                throw .protocolError("the Lookup was not answered from the cache")
            }
            let answered = clock.now
            bytes &+= reply.encoded().count
            let encoded = clock.now
            decode += decoded - start
            answer += answered - decoded
            encode += encoded - answered
        }
        precondition(bytes > 0)
        func perCall(_ total: Duration) -> Double {
            Double(total.components.seconds) * 1e9 / Double(calls) + Double(total.components.attoseconds) / 1e9 / Double(calls)
        }
        return Figures(decode: perCall(decode), answer: perCall(answer), encode: perCall(encode))
    }

    /// The daemon as `mailsrvd` builds it, its cache filled with the bench zone's answers.
    private static func makeEngine(domains: Int, directory: String) throws -> Engine {
        var configuration = DaemonConfiguration()
        configuration.cache.maxEntries = domains * 8
        configuration.limits.connectionsPerUser = 16
        configuration.stateDirectory = directory + "/state"
        configuration.cacheDirectory = directory + "/cache"
        let engine = try Engine(configuration: configuration, paths: DaemonPaths(configuration, environment: [:]),
                                upstream: { _ in NoUpstream() },
                                host: DiscoverySettings(clientHost: nil, hostFamilies: [.ipv6, .ipv4]),
                                logger: Logger(label: "mailsrvbench"))
        let expiry = Date().addingTimeInterval(3600)
        var entries: [(key: CacheKey, entry: CacheEntry)] = []
        for n in 0..<domains {
            let domain = "w\(n).bench.example"
            let (imap, pop) = ("imap.\(domain)", "pop.\(domain)")
            let services: [(String, SRVRecord)] = [
                ("_imaps._tcp", SRVRecord(priority: 0, weight: 1, port: 993, target: imap)),
                ("_imap._tcp", SRVRecord(priority: 0, weight: 1, port: 143, target: imap)),
                ("_pop3s._tcp", SRVRecord(priority: 10, weight: 1, port: 995, target: pop)),
                ("_pop3._tcp", SRVRecord(priority: 10, weight: 1, port: 110, target: pop)),
            ]
            for (label, record) in services {
                let answer = DNSAnswer(outcome: .records, services: [record], ttl: 3600, dnssec: .insecure)
                entries.append((CacheKey(name: "\(label).\(domain)", type: .srv), CacheEntry(answer: answer, expiry: expiry)))
            }
            for (host, octet) in [(imap, 1), (pop, 2)] {
                let v4 = DNSAnswer(outcome: .records, addresses: ["127.\(octet).0.\(n % 256)"], ttl: 3600, dnssec: .insecure)
                let v6 = DNSAnswer(outcome: .records, addresses: ["fd00::\(octet):0:\(n % 256)"], ttl: 3600, dnssec: .insecure)
                entries.append((CacheKey(name: host, type: .a), CacheEntry(answer: v4, expiry: expiry)))
                entries.append((CacheKey(name: host, type: .aaaa), CacheEntry(answer: v6, expiry: expiry)))
            }
        }
        engine.resolver.restore(entries)
        return engine
    }

    /// Every answer comes from the cache: a query here is a bug in the bench.
    private struct NoUpstream: DaemonUpstream {
        func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
            .failure(ResolutionFailure(reason: "no upstream in the in-process bench"))
        }

        func shutdown() {}
    }
}
