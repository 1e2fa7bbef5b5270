import Foundation
import KnotHarness
import MailDiscovery
import Resolver
import Testing

/// A working upstream slower than libunbound's defaults assume is waited for up to the
/// query timeout, first query included; one that never answers ends at the timeout and
/// the reason says so; one that refuses fails at once and is not called a timeout.
@Suite struct PatienceTests {
    /// Names of example.net and their A records: each one a first query through the relay.
    static let names = [("imap1.example.net", ["127.0.0.11"]), ("imap2.example.net", ["127.0.0.12"]),
                        ("imap-backup.example.net", ["127.0.0.13"]), ("smtp2.example.net", ["127.0.0.33"]),
                        ("smtp-backup.example.net", ["127.0.0.34"])]

    @Test(arguments: [150, 700, 2500])
    func aSlowUpstreamIsWaitedFor(milliseconds: Int) async throws {
        let knot = try await SharedKnot.server()
        let relay = try await DelayRelay.start(to: knot, delay: .milliseconds(milliseconds))
        defer { relay.stop() }
        let resolver = try UnboundResolver(configuration: ResolverConfiguration(
            upstreams: [relay.forwarder], trustAnchorFile: nil, queryTimeout: .seconds(5)))
        defer { resolver.shutdown() }
        // Asked at once: each is still a first query through the relay, and the test takes
        // one delay, not five.
        await withTaskGroup(of: Void.self) { group in
            for (name, addresses) in Self.names {
                group.addTask {
                    let start = ContinuousClock.now
                    do throws(ResolutionFailure) {
                        #expect(try await resolver.query(name: name, type: .a).addresses == addresses)
                    } catch {
                        Issue.record("\(name) through a \(milliseconds) ms upstream: \(error.reason) after \(ContinuousClock.now - start)")
                    }
                }
            }
        }
    }

    @Test func anUpstreamThatNeverAnswersEndsAtTheTimeoutWithAReasonThatSaysSo() async throws {
        let hole = try BlackHole()
        let timeout = Duration.seconds(2)
        let resolver = try UnboundResolver(configuration: ResolverConfiguration(
            upstreams: [hole.forwarder], trustAnchorFile: nil, queryTimeout: timeout))
        defer { resolver.shutdown() }
        for name in ["imap1.example.net", "imap2.example.net"] {
            let (error, elapsed) = await failure { () async throws(ResolutionFailure) in
                try await resolver.query(name: name, type: .a)
            }
            let reason = try #require(error).reason
            #expect(reason.hasPrefix("timeout"), "\(reason) after \(elapsed)")
            #expect(elapsed >= timeout, "libunbound gave up before the query timeout: \(reason)")
            #expect(elapsed < timeout + .seconds(10))
        }
    }

    @Test func aRefusingUpstreamFailsFastAndIsNotCalledATimeout() async throws {
        // Knot refuses names outside its zones.
        let resolver = try makeResolver(try await SharedKnot.server(), timeout: .seconds(30))
        defer { resolver.shutdown() }
        let (error, elapsed) = await failure { () async throws(ResolutionFailure) in
            try await resolver.query(name: "mail.not-served.org", type: .a)
        }
        let reason = try #require(error).reason
        print("refused: \(reason) after \(elapsed)")
        #expect(!reason.hasPrefix("timeout"), "\(reason)")
        #expect(reason.contains("REFUSED") || reason.contains("SERVFAIL"), "\(reason)")
        #expect(elapsed < .seconds(15), "a refusal waited for the 30 s timeout")
    }
}
