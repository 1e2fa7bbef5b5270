import CUnbound
import Foundation
import KnotHarness
import MailDiscovery
@testable import Resolver
import Testing

/// No name is answered by libunbound itself (DESIGN.md §4, "The user's resolver is the
/// truth"): every zone a default libunbound context answers locally (RFC 6761 `test.`,
/// `home.arpa.`, the private reverse zones, …) is served by a real Knot upstream here and
/// must be answered from it. The zones are read from the linked libunbound, so a newer one
/// with more of them fails these tests until `LocalZones` knows them.
@Suite(.serialized) struct SpecialUseZoneTests {
    /// Standard error as a `FILE` of its own (Swift 6 does not let tests touch `stderr`).
    nonisolated(unsafe) static let standardError = fdopen(2, "a")

    /// The local zones of a finalized context, as `ub_ctx_print_local_zones` logs them
    /// ("… info: number of auth zones 2", "… info: static zone test. TYPE0 IN", …).
    /// libunbound's log file is process-wide and every new context (other tests make many)
    /// points it back at standard error: a listing that does not hold as many zones as it
    /// announces is taken again.
    static func localZones(_ ctx: OpaquePointer) throws -> [String] {
        for _ in 0 ..< 50 {
            if let zones = try listing(ctx) { return zones }
        }
        throw ResolverSetupError("no complete listing of the local zones in 50 tries")
    }

    private static func listing(_ ctx: OpaquePointer) throws -> [String]? {
        let file = try #require(tmpfile())
        defer { fclose(file) }
        #expect(ub_ctx_debugout(ctx, UnsafeMutableRawPointer(file)) == 0)
        #expect(ub_ctx_print_local_zones(ctx) == 0)
        #expect(ub_ctx_debugout(ctx, UnsafeMutableRawPointer(Self.standardError)) == 0)
        fflush(file)
        rewind(file)
        var announced: Int?
        var zones: [String] = []
        var line = [CChar](repeating: 0, count: 1024)
        while fgets(&line, Int32(line.count), file) != nil {
            let words = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.split(whereSeparator: \.isWhitespace)
            if words.suffix(4).dropLast().elementsEqual(["of", "auth", "zones"]) {
                announced = words.last.flatMap { Int($0) }
            } else if let zone = words.firstIndex(of: "zone"), zone + 1 < words.endIndex {
                zones.append(String(words[zone + 1]))
            }
        }
        return announced == zones.count ? zones : nil
    }

    /// The zones libunbound answers itself when nothing turns them off.
    static func libunboundDefaultZones() throws -> [String] {
        let ctx = try #require(ub_ctx_create())
        defer { ub_ctx_delete(ctx) }
        #expect(ub_ctx_set_fwd(ctx, "127.0.0.1") == 0)
        return try localZones(ctx)
    }

    @Test func libunboundsDefaultZonesAreKnownAndAllTurnedOff() throws {
        let defaults = try Self.libunboundDefaultZones()
        print("libunbound \(String(cString: ub_version())) answers \(defaults.count) zones itself by default")
        #expect(defaults.contains("test."))
        #expect(defaults.contains("home.arpa."))
        #expect(defaults.contains("10.in-addr.arpa."))
        for dnssec in DNSSECMode.allCases {
            let ctx = try UnboundContext.make(ResolverConfiguration(upstreams: ["127.0.0.1"], dnssec: dnssec,
                                                                  trustAnchorFile: nil))
            defer { ub_ctx_delete(ctx) }
            #expect(try Self.localZones(ctx) == [], "zones mailsrvd's resolver answers itself (\(dnssec))")
        }
    }

    @Test func everyNameUnderTheDefaultZonesIsAnsweredByTheUpstream() async throws {
        let zones = try Self.libunboundDefaultZones().map { String($0.dropLast()) }
        let text = KnotServer.mailZone(address: "127.0.0.77")
        let knot = try await KnotServer.start(signing: false,
                                              extraZones: Dictionary(uniqueKeysWithValues: zones.map { ($0, text) }))
        let resolver = try makeResolver(knot)
        for zone in zones {
            let srv = try await resolver.query(name: "_imaps._tcp.\(zone)", type: .srv)
            #expect(srv.services == [SRVRecord(priority: 0, weight: 1, port: 993, target: "mail.\(zone)")], "\(zone)")
            #expect(try await resolver.query(name: "mail.\(zone)", type: .a).addresses == ["127.0.0.77"], "\(zone)")
            let missing = try await resolver.query(name: "nothing.\(zone)", type: .a)
            #expect(missing.outcome == .noDomain, "\(zone)")
        }
        resolver.shutdown()
        await knot.stop()
    }
}
