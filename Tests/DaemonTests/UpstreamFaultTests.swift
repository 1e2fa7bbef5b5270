import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// Upstream DNS misbehaving under the real daemon: a stopped server, SERVFAIL, answers that
/// never come, truncated UDP answers. Every call must end within the configured
/// `QueryTimeout` (plus slack, never a tight bound), expired data is served only as
/// `stale`, and a name never seen fails with `ResolutionFailed`.
@Suite(.timeLimit(.minutes(1))) struct UpstreamFaultTests {
    static let timeout = 1.0
    static var config: String { "[Discovery]\nQueryTimeout=\(Int(timeout * 1000))ms\n" }
    /// The bound on any call: the query timeout, plus time for the daemon and a loaded
    /// 2-core host (a stale answer, which takes two query timeouts, took 6.5 s at load 12).
    /// A daemon that ignored the setting would take 10 s for a stale answer (the 5 s
    /// default, twice) and fail; for a name never seen (one query, 5 s) the bound only
    /// rules out a hang.
    static let bound = Duration.seconds(timeout + 7)

    @Test func aStoppedServerServesStaleAndANameNeverSeenFailsQuickly() async throws {
        let knot = try await KnotServer.start(signing: false)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, config: Self.config)
        let fresh = try await daemon.call(.lookup, ["email": "a@live.example.net", "want": "imaps"])
        #expect(fresh["source"] == "dns")
        await knot.stop()
        // Until the data expires (TTL 2): from the daemon's cache, or from libunbound's copy,
        // which counts whole seconds and may outlive the TTL by up to one.
        let (stale, staleTime) = try await lookUp("a@live.example.net", on: daemon, while: ["cache", "dns"],
                                                  until: .now + .seconds(10))
        #expect(stale.error == nil)
        #expect(stale["source"] == "stale")
        #expect(stale["candidates"] == fresh["candidates"].map(zeroTTLs))
        #expect(staleTime < Self.bound)
        let (never, neverTime) = try await timed { try await daemon.call(.lookup, ["email": "a@never.example.net"]) }
        #expect(never.errorName == "ResolutionFailed")
        #expect(neverTime < Self.bound)
        await daemon.stop()
    }

    @Test func servfailIsResolutionFailedAndExpiredDataIsServedOnlyAsStale() async throws {
        let upstream = try await MisbehavingDNS.start(mode: .answer)
        let daemon = try await DaemonProcess(dnsServer: upstream.forwarder, config: Self.config)
        let fresh = try await daemon.call(.lookup, ["email": "a@one.faultzone.net", "want": "imaps"])
        #expect(fresh.error == nil)
        #expect(fresh["source"] == "dns")
        #expect(hostsAndAddresses(fresh) == ["mail.one.faultzone.net:993 127.0.0.61 ::1"])
        #expect(fresh["candidates"]?.arrayValue?.allSatisfy { ($0.objectValue?["ttl"]?.intValue ?? 99) <= 2 } == true)
        // Past the TTL (2 s; 2.5 s after the first answer) with a working server: asked
        // again, never "cache".
        let (again, _) = try await lookUp("a@one.faultzone.net", on: daemon, while: ["cache"],
                                          until: .now + .milliseconds(2500))
        #expect(again["source"] == "dns")

        try upstream.set(.servfail)
        let (never, neverTime) = try await timed { try await daemon.call(.lookup, ["email": "a@two.faultzone.net", "want": "imaps"]) }
        #expect(never.errorName == "ResolutionFailed")
        #expect(neverTime < Self.bound)
        // Within the TTL the cache answers; past it, only as stale. (libunbound keeps time in
        // whole seconds: its copy may outlive the TTL by up to one second.)
        let (stale, staleTime) = try await lookUp("a@one.faultzone.net", on: daemon, while: ["cache", "dns"],
                                                  until: .now + .seconds(10))
        #expect(stale["source"] == "stale")
        #expect(hostsAndAddresses(stale) == ["mail.one.faultzone.net:993 127.0.0.61 ::1"])
        #expect(staleTime < Self.bound)
        #expect(try upstream.queries().contains { $0.hasPrefix("udp _imaps._tcp.two.faultzone.net") })
        await daemon.stop()
        await upstream.stop()
    }

    @Test func anUpstreamThatNeverAnswersEndsEveryCallWithinTheTimeout() async throws {
        let upstream = try await MisbehavingDNS.start(mode: .answer)
        let daemon = try await DaemonProcess(dnsServer: upstream.forwarder, config: Self.config)
        await #expect(try daemon.call(.lookup, ["email": "a@seen.faultzone.net", "want": "imaps"])["source"] == "dns")
        try upstream.set(.silent)
        // Past the TTL (2 s, and libunbound counts whole seconds). Not polled: once expired,
        // each poll would wait out the silent upstream as long as this sleep.
        try await Task.sleep(for: .milliseconds(3500))
        // Parallel calls on separate connections, retrieval = four SRV queries each.
        let results = try await withThrowingTaskGroup(of: (String, String?, String?, Duration).self) { group in
            for domain in ["seen.faultzone.net", "n1.faultzone.net", "n2.faultzone.net", "n3.faultzone.net", "n4.faultzone.net"] {
                group.addTask {
                    let want = domain == "seen.faultzone.net" ? "imaps" : "retrieval"
                    let (reply, time) = try await timed { try await daemon.call(.lookup, ["email": .string("a@\(domain)"), "want": .string(want)]) }
                    return (domain, reply.errorName, reply["source"]?.stringValue, time)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (domain, error, source, time) in results {
            #expect(time < Self.bound, "\(domain) took \(time)")
            if domain == "seen.faultzone.net" {
                #expect(error == nil && source == "stale", "\(domain): \(String(describing: error)) \(String(describing: source))")
            } else {
                #expect(error == "ResolutionFailed", "\(domain)")
            }
        }
        await daemon.stop()
        await upstream.stop()
    }

    @Test func aTruncatedUDPAnswerIsAskedAgainOverTCP() async throws {
        let upstream = try await MisbehavingDNS.start(mode: .truncate)
        let daemon = try await DaemonProcess(dnsServer: upstream.forwarder, config: Self.config)
        let (reply, time) = try await timed { try await daemon.call(.lookup, ["email": "a@big.faultzone.net", "want": "imaps"]) }
        #expect(reply.error == nil)
        #expect(hostsAndAddresses(reply) == ["mail.big.faultzone.net:993 127.0.0.61 ::1"])
        #expect(time < Self.bound)
        let queries = try upstream.queries()
        #expect(queries.contains("udp _imaps._tcp.big.faultzone.net SRV"))
        #expect(queries.contains("tcp _imaps._tcp.big.faultzone.net SRV"))
        await daemon.stop()
        await upstream.stop()
    }

    /// Looks `email` up (imaps) every 50 ms while the reply's source is one of `sources`:
    /// waits for cached data to expire. The reply to the first call with another source or
    /// asked at `deadline` or later, and how long that call took.
    private func lookUp(_ email: String, on daemon: DaemonProcess, while sources: Set<String>,
                        until deadline: ContinuousClock.Instant) async throws -> (VarlinkReply, Duration) {
        while true {
            let asked = ContinuousClock.now
            let (reply, time) = try await timed { try await daemon.call(.lookup, ["email": .string(email), "want": "imaps"]) }
            guard let source = reply["source"]?.stringValue, sources.contains(source), asked < deadline else {
                return (reply, time)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func zeroTTLs(_ candidates: JSONValue) -> JSONValue {
        .array((candidates.arrayValue ?? []).map { candidate in
            guard var object = candidate.objectValue else { return candidate }
            object["ttl"] = .int(0)
            return .object(object)
        })
    }
}

/// `host:port address…` of each candidate, in order (its addresses sorted).
func hostsAndAddresses(_ reply: VarlinkReply) -> [String] {
    (reply["candidates"]?.arrayValue ?? []).map { candidate in
        let object = candidate.objectValue ?? [:]
        let addresses = (object["addresses"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
        return "\(object["host"]?.stringValue ?? "?"):\(object["port"]?.intValue ?? -1) " + addresses.joined(separator: " ")
    }
}

/// Runs `body` and measures it.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

/// A DNS server on 127.0.0.1 (UDP and TCP, one port) that misbehaves on demand, written in
/// Python (the tests already need python3). For any `_x._tcp.D` it answers one SRV
/// `0 1 993 mail.D`, for `mail.D` A 127.0.0.61 and AAAA ::1, TTL 2; other names NXDOMAIN.
/// The mode file is read on every query, so a test switches behaviour while it runs.
final class MisbehavingDNS: @unchecked Sendable {
    enum Mode: String {
        /// Answers normally over UDP and TCP.
        case answer
        /// SERVFAIL to everything.
        case servfail
        /// Reads queries and never answers.
        case silent
        /// Over UDP: the header with TC set and no records; over TCP: the full answer.
        case truncate
    }

    let port: UInt16
    private let process: Process
    private let directory: URL
    var forwarder: String { "127.0.0.1@\(port)" }

    private init(port: UInt16, process: Process, directory: URL) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    static func start(mode: Mode) async throws -> MisbehavingDNS {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baddns-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try mode.rawValue.write(to: directory.appendingPathComponent("mode"), atomically: true, encoding: .utf8)
        try script.write(to: directory.appendingPathComponent("baddns.py"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [directory.appendingPathComponent("baddns.py").path, directory.path]
        process.standardInput = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        let portFile = directory.appendingPathComponent("port")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), text.hasSuffix("\n"),
               let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return MisbehavingDNS(port: port, process: process, directory: directory)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw DaemonFailure("the misbehaving DNS server did not start")
    }

    func set(_ mode: Mode) throws {
        try mode.rawValue.write(to: directory.appendingPathComponent("mode"), atomically: true, encoding: .utf8)
    }

    /// Every query seen so far: `udp NAME TYPE` or `tcp NAME TYPE`.
    func queries() throws -> [String] {
        try String(contentsOf: directory.appendingPathComponent("queries"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    /// SIGKILL: children of the test process inherit a signal mask that blocks SIGTERM.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = await process.exit(within: .seconds(10))
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    static let script = #"""
    import os, socket, struct, sys, threading
    directory = sys.argv[1]
    lock = threading.Lock()
    TYPES = {1: "A", 28: "AAAA", 33: "SRV"}

    def mode():
        with open(os.path.join(directory, "mode")) as f:
            return f.read().strip()

    def log(line):
        with lock, open(os.path.join(directory, "queries"), "a") as f:
            f.write(line + "\n")

    def name_wire(name):
        return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"

    def parse(msg):
        i, labels = 12, []
        while msg[i]:
            labels.append(msg[i + 1:i + 1 + msg[i]].decode("ascii", "replace"))
            i += 1 + msg[i]
        qtype, = struct.unpack("!H", msg[i + 1:i + 3])
        return ".".join(labels).lower(), qtype, msg[12:i + 5]

    def reply(msg, transport):
        name, qtype, question = parse(msg)
        log("%s %s %s" % (transport, name, TYPES.get(qtype, qtype)))
        current = mode()
        if current == "silent":
            return None
        flags = 0x8400 | (struct.unpack("!H", msg[2:4])[0] & 0x0100) | 0x0080
        records = []
        labels = name.split(".")
        if current == "servfail":
            flags |= 2
        elif current == "truncate" and transport == "udp":
            flags |= 0x0200
        elif qtype == 33 and len(labels) >= 3 and labels[0].startswith("_") and labels[1] == "_tcp":
            target = name_wire("mail." + ".".join(labels[2:]))
            records.append((33, struct.pack("!HHH", 0, 1, 993) + target))
        elif labels[0] == "mail" and qtype == 1:
            records.append((1, socket.inet_aton("127.0.0.61")))
        elif labels[0] == "mail" and qtype == 28:
            records.append((28, socket.inet_pton(socket.AF_INET6, "::1")))
        elif labels[0] != "mail":
            flags |= 3
        out = msg[:2] + struct.pack("!HHHHH", flags, 1, len(records), 0, 0) + question
        for rtype, rdata in records:
            out += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 2, len(rdata)) + rdata
        return out

    def serve_udp(sock):
        parent = os.getppid()
        sock.settimeout(1)
        while True:
            try:
                msg, peer = sock.recvfrom(4096)
            except socket.timeout:
                if os.getppid() != parent:   # the test process is gone: so are we
                    os._exit(0)
                continue
            try:
                out = reply(msg, "udp")
            except Exception:
                continue
            if out is not None:
                sock.sendto(out, peer)

    def serve_tcp_client(conn):
        try:
            while True:
                head = conn.recv(2, socket.MSG_WAITALL)
                if len(head) < 2:
                    return
                length, = struct.unpack("!H", head)
                msg = conn.recv(length, socket.MSG_WAITALL)
                out = reply(msg, "tcp")
                if out is None:
                    continue
                conn.sendall(struct.pack("!H", len(out)) + out)
        except Exception:
            pass
        finally:
            conn.close()

    def serve_tcp(sock):
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=serve_tcp_client, args=(conn,), daemon=True).start()

    for attempt in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", port))
            break
        except OSError:
            udp.close()
            tcp.close()
    tcp.listen(64)
    open(os.path.join(directory, "queries"), "a").close()
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    with open(os.path.join(directory, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
    serve_udp(udp)
    """#
}
