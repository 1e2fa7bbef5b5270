import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// The autoconfig endpoint of the real daemon over a real TCP socket (CLIENTS.md §4),
/// against Knot: both paths, the document read by Python's XML parser, the status codes,
/// the limits, and socket activation.
@Suite(.timeLimit(.minutes(3))) struct AutoconfigTests {
    /// A daemon serving autoconfig on a port the kernel picks, and that port.
    func startDaemon(knot: KnotServer? = nil) async throws -> (DaemonProcess, Int) {
        let forwarder: String
        if let knot { forwarder = knot.forwarder } else { forwarder = try await SharedKnot.server().forwarder }
        let daemon = try await DaemonProcess(dnsServer: forwarder, arguments: ["--autoconfig-listen", "127.0.0.1:0"])
        return (daemon, try await Self.autoconfigPort(in: { daemon.log }))
    }

    /// The port of the "serving autoconfig" log line, waited for (at most 20 s).
    static func autoconfigPort(in log: () -> String) async throws -> Int {
        for _ in 0..<1000 {
            let line = log().split(separator: "\n").first { $0.contains("serving autoconfig") }
            if let line, let match = line.firstMatch(of: /127\.0\.0\.1:(\d+)/), let port = Int(match.1) { return port }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DaemonFailure("no 'serving autoconfig' line: \(log())")
    }

    @Test func domainPathServesEveryCandidateInDiscoveryOrder() async throws {
        let (daemon, port) = try await startDaemon()
        let reply = try await AutoconfigClient.request("127.0.0.1", port, "/v1.1/example.net")
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.headers["content-type"] == "text/xml")
        #expect(reply.headers["connection"] == "close")
        #expect(reply.domain == "example.net")
        let incoming = try #require(reply.incoming)
        // The daemon's order (IMAP first): imaps 0 ×2, imap 5, imaps 10, then pop3s, pop3;
        // noaddr and ghost have no address and are left out, like in a Lookup.
        #expect(incoming.map(\.type) == ["imap", "imap", "imap", "imap", "pop3", "pop3"])
        #expect(incoming.map(\.port) == ["993", "993", "143", "993", "995", "110"])
        #expect(incoming.map(\.socketType) == ["SSL", "SSL", "STARTTLS", "SSL", "SSL", "STARTTLS"])
        #expect(Set(incoming.prefix(2).map(\.hostname)) == ["imap1.example.net", "imap2.example.net"])
        #expect(incoming.dropFirst(2).map(\.hostname) == ["imap1.example.net", "imap-backup.example.net",
                                                          "pop.example.net", "pop.example.net"])
        #expect(incoming.allSatisfy { $0.username == "%EMAILADDRESS%" && $0.authentication == "password-cleartext" })

        // Outgoing: exactly the submission Lookup's candidates, as SSL or STARTTLS.
        let outgoing = try #require(reply.outgoing)
        let lookup = try await daemon.call(.lookup, ["email": "example.net", "want": "submission"])
        let candidates = try #require(lookup["candidates"]?.arrayValue)
        #expect(outgoing.count == candidates.count && outgoing.count == 6)
        func key(_ host: String?, _ port: Int?, _ tls: String?) -> String { "\(host ?? "") \(port ?? 0) \(tls ?? "")" }
        #expect(Set(outgoing.map { key($0.hostname, Int($0.port), $0.socketType == "SSL" ? "implicit" : "starttls") })
                == Set(candidates.map { key($0["host"]?.stringValue, $0["port"]?.intValue, $0["tls"]?.stringValue) }))
        #expect(outgoing.allSatisfy { $0.type == "smtp" && $0.username == "%EMAILADDRESS%" })
        await daemon.stop()
    }

    @Test func addressPathAnswersForTheAddressesDomain() async throws {
        let (daemon, port) = try await startDaemon()
        let reply = try await AutoconfigClient.request("127.0.0.1", port,
                                                       "/mail/config-v1.1.xml?emailaddress=a%2Bb%40nopop.example.net")
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.headers["content-type"] == "text/xml")
        #expect(reply.domain == "nopop.example.net")
        #expect(reply.incoming == [.init(type: "imap", hostname: "imap1.example.net", port: "993", socketType: "SSL",
                                         username: "%EMAILADDRESS%", authentication: "password-cleartext")])
        #expect(reply.outgoing == [], "nopop.example.net has no submission service")
        await daemon.stop()
    }

    @Test func statusCodes() async throws {
        let (daemon, port) = try await startDaemon()
        let cases: [(method: String, target: String, status: Int)] = [
            ("GET", "/v1.1/nothing.example.net", 404),         // every service "."
            ("GET", "/v1.1/nxdomain.example.net", 404),        // no SRV at all
            ("GET", "/v1.1/bad..example.net", 400),
            ("GET", "/v1.1/-x.example.net", 400),
            ("GET", "/v1.1/", 400),
            ("GET", "/v1.1/a%zz.example.net", 400),
            ("GET", "/mail/config-v1.1.xml", 400),
            ("GET", "/mail/config-v1.1.xml?emailaddress=example.net", 400),
            ("POST", "/v1.1/example.net", 405),
            ("DELETE", "/mail/config-v1.1.xml?emailaddress=a%40example.net", 405),
            ("GET", "/", 404),
            ("GET", "/v1.1", 404),
            ("GET", "/etc/passwd", 404),
            ("GET", "/mail/config-v1.1.xmlx?emailaddress=a%40example.net", 404),
        ]
        for (method, target, status) in cases {
            let reply = try await AutoconfigClient.request("127.0.0.1", port, target, method: method)
            #expect(reply.status == status, "\(method) \(target): \(reply.body)")
            #expect(reply.headers["content-type"]?.hasPrefix("text/plain") == true)
            if status == 405 { #expect(reply.headers["allow"] == "GET") }
        }
        await daemon.stop()
    }

    @Test func oversizeAndSlowRequestsAreCutOffAndTheDaemonServesOn() async throws {
        let (daemon, port) = try await startDaemon()
        let oversize = try await AutoconfigClient.raw("127.0.0.1", port, mode: "oversize")
        #expect(oversize.hasPrefix("CLOSED"), "\(oversize)")
        #expect(oversize == "CLOSED HTTP/1.1 431 Request Header Fields Too Large" || oversize == "CLOSED -")
        let slow = try await AutoconfigClient.raw("127.0.0.1", port, mode: "slow")
        #expect(slow == "CLOSED -", "a partial request is closed without a reply: \(slow)")
        #expect(try await AutoconfigClient.request("127.0.0.1", port, "/v1.1/example.net").status == 200)
        await #expect(try daemon.call(.lookup, ["email": "example.net"]).error == nil, "the Varlink side serves on too")
        await daemon.stop()
    }

    /// An SRV target may hold any printable byte but `.` and `\` (the resolver refuses
    /// those); markup in it stays text. Knot takes the bytes as `\DDD` escapes.
    @Test func aTargetWithXMLMetacharactersCannotBreakTheDocument() async throws {
        let knot = try await KnotServer.start(signing: false)
        let hostile = #"a<b>&c"d'e.example.net"#
        try await knot.change(zone: "example.net", [
            .set(owner: "_imaps._tcp.hostile", ttl: 300, type: "SRV", data: #"0 1 993 a\060b\062\038c\034d\039e.example.net."#),
            .set(owner: #"a\060b\062\038c\034d\039e"#, ttl: 300, type: "A", data: "127.0.0.99"),
        ])
        let (daemon, port) = try await startDaemon(knot: knot)
        let lookup = try await daemon.call(.lookup, ["email": "hostile.example.net"])
        #expect(lookup["candidates"]?.arrayValue?.first?["host"]?.stringValue == hostile, "\(lookup)")
        let reply = try await AutoconfigClient.request("127.0.0.1", port, "/v1.1/hostile.example.net")
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.incoming?.map(\.hostname) == [hostile], "the parser reads the name back as text")
        #expect(reply.body.contains("a&lt;b&gt;&amp;c&quot;d&apos;e.example.net"))
        await daemon.stop()
        await knot.stop()
    }

    @Test func aNonLoopbackAddressIsRefused() async throws {
        let result = try await ChildProcess.run(DaemonProcess.binaries.appendingPathComponent("mailsrvd").path,
                                                ["--autoconfig-listen", "0.0.0.0:8080", "--socket", "/nonexistent/s"])
        #expect(result.status == 64 || result.status == 2, "\(result.status)")
        #expect(result.stderr.contains("'0.0.0.0' is not a loopback IP address"), "\(result.stderr)")
    }

    @Test func socketActivationWithASecondSocketNamedAutoconfig() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autoconfig-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("io.mailsrvd.Discovery").path
        let port = Int(try FreePort.pick())
        // Under `timeout`, as in SystemdIntegrationTests (see there why).
        let activator = Process()
        activator.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        activator.arguments = ["60", "/usr/bin/systemd-socket-activate", "-l", socket, "-l", "127.0.0.1:\(port)",
                               "--fdname=varlink:autoconfig",
                               DaemonProcess.binaries.appendingPathComponent("mailsrvd").path,
                               "--dns-server", knot.forwarder, "--log-level", "debug",
                               "--state-directory", directory.appendingPathComponent("state").path,
                               "--cache-directory", directory.appendingPathComponent("cache").path]
        let logFile = directory.appendingPathComponent("log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        activator.standardOutput = log
        activator.standardError = log
        try activator.runWithSignalsUnblocked()
        defer { if activator.isRunning, let pid = activator.firstChildPID() { kill(pid, SIGTERM) } }
        // The first HTTP connection starts the daemon, which is handed both sockets.
        var reply: AutoconfigClient.Reply?
        for _ in 0..<100 where reply == nil {
            reply = try? await AutoconfigClient.request("127.0.0.1", port, "/v1.1/example.net")
            if reply == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let served = try #require(reply, "\((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")
        #expect(served.status == 200)
        #expect(served.incoming?.count == 6)
        // The Varlink socket keeps its place.
        let client = try await DaemonConnection(socket: socket)
        await #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).error == nil)
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        #expect(text.contains("serving autoconfig") && text.contains("127.0.0.1:\(port)"), "\(text)")
        kill(try #require(activator.firstChildPID()), SIGTERM)
        try #require(await activator.exit(within: .seconds(20)))
        #expect(activator.terminationStatus == 0)
    }
}
