import Foundation
import Synchronization
import Testing
@testable import MailDiscovery

/// The cache runs on a monotonic clock; only its file holds wall-clock time (issue 11,
/// finding 9: a wall clock stepped backwards stretched every TTL).
@Suite struct WallClockStepTests {
    /// A running clock the test moves by hand, and a wall clock it can step apart from it.
    final class SteppedClock: TimeSource {
        private let state = Mutex((running: Date(timeIntervalSince1970: 1_800_000_000), wallOffset: 0.0))
        func now() -> Date { state.withLock { $0.running } }
        func advance(by seconds: TimeInterval) { state.withLock { $0.running += seconds } }
        func stepWall(by seconds: TimeInterval) { state.withLock { $0.wallOffset += seconds } }
        func wallClock(_ time: Date) -> Date { time + state.withLock { $0.wallOffset } }
        func fromWallClock(_ wall: Date) -> Date { wall - state.withLock { $0.wallOffset } }
    }

    /// An upstream this test never reaches: every answer comes from the restored cache.
    struct NoUpstream: DNSQuerying {
        func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure> {
            Issue.record("asked upstream for \(name)")
            return .failure(ResolutionFailure(reason: "no upstream"))
        }
    }

    let key = CacheKey(name: "imap.example.net", type: .a)
    let answer = DNSAnswer(outcome: .records, addresses: ["192.0.2.1"], ttl: 300, dnssec: .insecure)

    @Test func aWallClockStepNeitherStretchesNorCutsATTLAndTheFileHoldsWallTime() throws {
        let clock = SteppedClock()
        let resolver = CachingResolver(upstream: NoUpstream(), time: clock)
        let wallExpiry = clock.wallClock(clock.now()) + 300
        #expect(resolver.restore([(key: key, entry: CacheEntry(answer: answer, expiry: wallExpiry))]) == 0)

        clock.stepWall(by: -3600)   // the wall clock goes back an hour
        clock.advance(by: 299)
        let result = try #require(resolver.freshResults(for: [key])?[key])
        let fresh = try result.get()
        #expect(fresh.ttl == 1)
        // The file says when it expires on the wall clock as it is now.
        #expect(resolver.snapshot().first?.entry.expiry == wallExpiry - 3600)
        clock.advance(by: 1)
        #expect(resolver.freshResults(for: [key]) == nil, "expired after its 300 s, not an hour later")
    }

    @Test func theSystemTimeConvertsToTheWallClockAndBack() {
        let time = SystemTime()
        let now = time.now()
        #expect(abs(time.wallClock(now).timeIntervalSince(Date())) < 1)
        #expect(abs(time.fromWallClock(time.wallClock(now)).timeIntervalSince(now)) < 0.001)
    }
}
