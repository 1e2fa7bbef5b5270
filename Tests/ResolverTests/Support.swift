import Foundation
import Glibc
import KnotHarness
import MailDiscovery
import Resolver
import TestSupport

/// One Knot server shared by the tests that only read the zones (never stopped or
/// changed; killed when the test process exits). Tests that change or stop a server
/// start their own.
enum SharedKnot {
    private static let task = Task { try await KnotServer.start() }
    static func server() async throws -> KnotServer { try await task.value }
}

/// A resolver that forwards to `server`, without the system root anchor.
func makeResolver(_ server: KnotServer, dnssec: DNSSECMode = .permissive, anchors: [String] = [],
                  timeout: Duration = .seconds(5)) throws -> UnboundResolver {
    try UnboundResolver(configuration: ResolverConfiguration(
        upstreams: [server.forwarder], dnssec: dnssec, trustAnchorFile: nil,
        trustAnchors: anchors, queryTimeout: timeout))
}

/// Runs `body` and returns what it threw (nil if nothing) and how long it took.
func failure(of body: () async throws(ResolutionFailure) -> DNSAnswer) async -> (ResolutionFailure?, Duration) {
    let start = ContinuousClock.now
    do {
        _ = try await body()
        return (nil, ContinuousClock.now - start)
    } catch {
        return (error, ContinuousClock.now - start)
    }
}

/// A UDP and TCP "server" on 127.0.0.1 that accepts packets and connections but never
/// answers: queries to it only end by timeout or cancellation on our side.
final class BlackHole {
    let port: UInt16
    private let udp: Int32
    private let tcp: Int32

    /// A free UDP port whose TCP twin is free too; another one when the TCP port is taken
    /// (other test processes bind ports meanwhile), at most 20 tries.
    init() throws {
        for _ in 0..<20 {
            if let bound = Self.bind() {
                (udp, tcp, port) = bound
                return
            }
        }
        throw ResolutionFailure(reason: "black hole: bind failed")
    }

    private static func bind() -> (udp: Int32, tcp: Int32, port: UInt16)? {
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard Glibc.bind(udp, sa, length) == 0, getsockname(udp, sa, &length) == 0 else { return false }
                return Glibc.bind(tcp, sa, length) == 0 && listen(tcp, 16) == 0
            }
        }
        guard ok else {
            close(udp)
            close(tcp)
            return nil
        }
        return (udp, tcp, UInt16(bigEndian: address.sin_port))
    }

    var forwarder: String { "127.0.0.1@\(port)" }

    /// Waits (off the cooperative pool) until a UDP query arrived; true if one did in time.
    /// Generous: on a loaded machine the task that sends the query may start seconds late.
    func waitForQuery(timeout: Duration = .seconds(30)) async -> Bool {
        let fd = udp
        let ms = Int32(timeout.components.seconds * 1000)
        return (try? await onOwnThread {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return poll(&p, 1, ms) == 1
        }) ?? false
    }

    deinit {
        close(udp)
        close(tcp)
    }
}

/// True if `answer` carries `zoneTTL` as it is in the zone, less the seconds that may pass
/// between libunbound storing the answer (possibly from an earlier answer's additional
/// section) and the test reading it: on a busy machine running every test in parallel,
/// up to 15 s were seen. Still far apart from every other TTL in the zones.
func hasZoneTTL(_ answer: DNSAnswer, _ zoneTTL: UInt32) -> Bool {
    answer.ttl <= zoneTTL && answer.ttl + 15 >= zoneTTL
}

/// `answer` with the TTL replaced by `zoneTTL` when `hasZoneTTL` holds, for comparing
/// whole answers.
func normalized(_ answer: DNSAnswer, zoneTTL: UInt32) -> DNSAnswer {
    var copy = answer
    if hasZoneTTL(answer, zoneTTL) { copy.ttl = zoneTTL }
    return copy
}
