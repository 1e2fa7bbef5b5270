import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// What hostile DNS answers and damaged files can make of the daemon's state (issue 11,
/// findings 2, 7, 8): its files stay linear in what was learned and bounded, and what it
/// reads back is checked.
@Suite struct StateBoundsTests {
    /// `big.example.net`: `_imaps._tcp` → `many.big.example.net`, which has 2,000 A and 2,000 AAAA records
    /// (a legal answer of about 58 KB, which unbound fetches over TCP).
    static let bigZone: String = {
        var lines = ["$ORIGIN big.example.net.", "$TTL 300", "@ SOA ns hostmaster 1 3600 600 86400 60", "@ NS ns",
                     "ns A 127.0.0.1", "_imaps._tcp SRV 0 1 993 many"]
        for n in 0..<2000 {
            lines.append("many A 127.1.\(n / 256).\(n % 256)")
            lines.append("many AAAA 2001:db8::\(String(n, radix: 16))")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    func size(_ file: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? -1
    }

    @Test func aTargetWithThousandsOfAddressesMakesSmallStateFilesAndAQuickRestart() async throws {
        let knot = try await KnotServer.start(signing: false, extraZones: ["big.example.net": Self.bigZone])
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        let holder = try await first.connect()
        let acquired = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName,
                                       ["email": "a@big.example.net", "want": "imaps"])
        #expect(acquired.errorName == nil, "\(acquired)")
        #expect(acquired["endpoint"]?["addresses"]?.arrayValue?.count == 16)
        let lookup = try await first.call(.lookup, ["email": "a@big.example.net", "want": "imaps"])
        #expect(lookup["candidates"]?.arrayValue?.first?["addresses"]?.arrayValue?.count == 32)
        #expect(await first.stop() == 0)

        // Linear and bounded: one pin of one endpoint with 16 addresses; the cache holds
        // 16 addresses per answer (was: 218 MB of pins, 55 KB of cache).
        #expect(try size(first.directory.appendingPathComponent("state/pins.json")) < 4_000)
        #expect(try size(first.directory.appendingPathComponent("cache/cache.json")) < 4_000)

        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        let again = try await second.connect().call(DiscoveryInterface.Method.acquire.qualifiedName,
                                              ["email": "a@big.example.net", "want": "imaps"])
        #expect(again["reused"] == true)
        #expect(again["address"] == acquired["address"])
        await second.stop()
        await knot.stop()
    }

    @Test func cacheEntriesExpiringImpossiblyLateAreDroppedAtStart() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvd-\(UUID().uuidString.prefix(8))")
        let cache = directory.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        // Valid JSON, a valid version: an SRV entry expiring at 1e19 (which trapped the
        // first Lookup) and an address entry of the year 3000 (which was served as fresh).
        let damaged = """
        {"version":1,"contents":[
         {"key":{"name":"_imaps._tcp.example.net","type":"SRV"},"entry":{"expiry":1e19,"answer":{"outcome":"records",
          "services":[{"priority":0,"weight":1,"port":993,"target":"imap1.example.net"}],"addresses":[],"ttl":300,"dnssec":"insecure"}}},
         {"key":{"name":"imap1.example.net","type":"A"},"entry":{"expiry":32503680000,"answer":{"outcome":"records",
          "services":[],"addresses":["127.9.9.9"],"ttl":300,"dnssec":"insecure"}}}
        ]}
        """
        try damaged.write(to: cache.appendingPathComponent("cache.json"), atomically: true, encoding: .utf8)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, directory: directory)
        let reply = try await daemon.call(.lookup, ["email": "a@example.net", "want": "imaps"])
        #expect(reply.errorName == nil, "\(reply)")
        #expect(reply["source"] == "dns")
        let addresses = reply["candidates"]?.arrayValue?.flatMap { $0["addresses"]?.arrayValue ?? [] } ?? []
        #expect(addresses.contains("127.0.0.11"))
        #expect(!addresses.contains("127.9.9.9"))
        #expect(daemon.log.contains("cache entries expiring impossibly late dropped"))
        #expect(await daemon.stop() == 0)
    }

    @Test func aFIFOOrADeviceAsAStateFileIsSetAsideSayingWhatItIs() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsrvd-\(UUID().uuidString.prefix(8))")
        for sub in ["state", "cache"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        // Opening a FIFO for reading waits for a writer: the daemon must not.
        #expect(mkfifo(directory.appendingPathComponent("state/pins.json").path, 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("cache/cache.json").path,
                                                   withDestinationPath: "/dev/zero")
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, directory: directory)
        await #expect(try daemon.call(.lookup, ["email": "a@example.net"]).errorName == nil)
        #expect(daemon.log.contains("pins.json: not a regular file but a FIFO"), "\(daemon.log)")
        #expect(daemon.log.contains("cache.json: not a regular file but a character device"), "\(daemon.log)")
        #expect(await daemon.stop() == 0)
        // Set aside, and written afresh at the stop.
        #expect(try size(directory.appendingPathComponent("state/pins.json")) > 0)
    }
}
