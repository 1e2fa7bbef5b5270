import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import Varlink

/// A restart loses nothing (DESIGN.md §2, §3): cache and pins are written and read back.
@Suite struct RestartTests {
    func acquire(_ daemon: DaemonProcess, _ email: String) async throws -> VarlinkReply {
        try await daemon.connect().call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": .string(email)])
    }

    func place(_ reply: VarlinkReply) -> String {
        "\(reply["endpoint"]?["host"]?.stringValue ?? "-") \(reply["address"]?.stringValue ?? "-")"
    }

    @Test func afterSIGTERMThePinHoldsForItsGracePeriodEvenThoughDNSChanged() async throws {
        let knot = try await KnotServer.start(signing: false)
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        let holder = try await first.connect()
        let before = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@live.example.net"])
        #expect(before["reused"] == false)
        #expect(await first.stop() == 0)
        let pins = first.directory.appendingPathComponent("state/pins.json")
        let mode = try FileManager.default.attributesOfItem(atPath: pins.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try await knot.change(zone: "example.net", [
            .unset(owner: "live", type: "A"), .set(owner: "live", ttl: 2, type: "A", data: "127.0.0.99"),
            .unset(owner: "live", type: "AAAA"),
        ])
        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        // Asked until the restored answer (TTL 2 s) has expired and the new address shows.
        let changed = try await eventually(within: 10) {
            hostsAndAddresses(try await second.call(.lookup, ["email": "a@live.example.net", "want": "imaps"]))
                == ["live.example.net:993 127.0.0.99"]
        }
        #expect(changed, "DNS did change")
        let after = try await acquire(second, "b@live.example.net")
        #expect(after["reused"] == true)
        #expect(place(after) == place(before))
        #expect(second.log.contains("pins restored"))
        await second.stop()
        await knot.stop()
    }

    @Test func aRestoredPinLapsesAfterItsGracePeriod() async throws {
        let knot = try await SharedKnot.server()
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        let holder = try await first.connect()
        _ = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        await first.stop()
        let second = try await DaemonProcess(dnsServer: knot.forwarder, config: "[Discovery]\nPinGrace=1s\n",
                                             directory: first.directory)
        try await Task.sleep(for: .milliseconds(1200))
        await #expect(try acquire(second, "a@example.net")["reused"] == false)
        await second.stop()
    }

    @Test func theCacheSurvivesARestartAndAnswersWithoutDNS() async throws {
        let knot = try await SharedKnot.server()
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        _ = try await first.call(.lookup, ["email": "a@example.net"])
        let cached = try await first.call(.stats)["cachedNames"]
        await first.stop()
        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        await #expect(try second.call(.stats)["cachedNames"] == cached)
        let lookup = try await second.call(.lookup, ["email": "a@example.net"])
        #expect(lookup["source"] == "cache")
        await #expect(try second.call(.stats)["dnsQueries"] == 0)
        await second.stop()
    }

    @Test func afterKill9ThePeriodicSaveIsRestored() async throws {
        let knot = try await SharedKnot.server()
        let config = "[Discovery]\nSaveInterval=1s\n"
        let first = try await DaemonProcess(dnsServer: knot.forwarder, config: config)
        let holder = try await first.connect()
        let before = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        #expect(try await eventually(within: 20) { first.hasSavedPin && first.hasSavedCache }, "a periodic save")
        #expect(await first.stop(signal: SIGKILL) == SIGKILL)
        let second = try await DaemonProcess(dnsServer: knot.forwarder, config: config, directory: first.directory)
        let after = try await acquire(second, "a@example.net")
        #expect(after["reused"] == true)
        #expect(place(after) == place(before))
        await #expect(try second.call(.lookup, ["email": "a@example.net"])["source"] == "cache")
        await second.stop()
    }

    @Test func corruptStateFilesAreSetAsideAndTheDaemonStarts() async throws {
        let knot = try await SharedKnot.server()
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        _ = try await first.call(.lookup, ["email": "a@example.net"])
        await first.stop()
        let cache = first.directory.appendingPathComponent("cache/cache.json")
        let pins = first.directory.appendingPathComponent("state/pins.json")
        let truncated = try Data(contentsOf: cache).prefix(40)
        try truncated.write(to: cache)
        try Data("not json at all".utf8).write(to: pins)
        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        await #expect(try second.call(.stats)["cachedNames"] == 0)
        await #expect(try second.call(.lookup, ["email": "a@example.net"])["source"] == "dns")
        #expect(FileManager.default.fileExists(atPath: cache.path + ".corrupt"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cache.path + ".corrupt")) == truncated)
        #expect(FileManager.default.fileExists(atPath: pins.path + ".corrupt"))
        #expect(second.log.contains("unreadable state file set aside"))
        await second.stop()
    }
}
