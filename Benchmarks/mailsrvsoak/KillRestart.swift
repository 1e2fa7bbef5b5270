import Foundation
import MailSRVInterface
import Synchronization
import Varlink

extension Soak {
    /// Phase 2: kill -9 of the daemon in the middle of a flood of 100 clients, restart on
    /// the same directories: every client must be served again, and a pin taken before
    /// must be restored. Returns the restarted daemon.
    func killAndRestart(_ daemon: SoakDaemon, _ checks: inout Checks) throws -> SoakDaemon {
        say("phase 2: kill -9 during a flood, restart")
        let socketPath = setup.socketPath
        let pin = DiscoveryInterface.Acquire(email: "pin@example.net", want: "imaps", clientHost: nil, alternatives: nil)
        // Its connection stays open until the end: the lease keeps the pin held across the kill.
        let holder = try VarlinkClient.connect(to: socketPath, timeout: .seconds(10))
        defer { withExtendedLifetime(holder) {} }
        let pinned = try holder.call(pin)
        checks.check((try? pinned.get()) != nil, "a pin was acquired")
        let counters = Counters()
        let workers = Workers()
        let clients = min(100, options.connections)
        let reconnections = Reconnections()
        for index in 0..<clients {
            workers.spawn { Self.reconnecting(socketPath, index, counters, reconnections) }
        }
        usleep(1_500_000)   // a periodic save (SaveInterval=1s) under load
        kill(daemon.pid, SIGKILL)
        daemon.process.waitUntilExit()
        let killedAt = Date()
        let restarted = try SoakDaemon(setup)
        reconnections.restartedAt.withLock { $0 = Date() }
        let restartTime = Date().timeIntervalSince(killedAt)
        let reconnectDeadline = Date() + 20
        while reconnections.served.withLock({ $0.count }) < clients, Date() < reconnectDeadline { usleep(50_000) }
        let allBack = Date().timeIntervalSince(killedAt)
        counters.stop.store(true, ordering: .relaxed)
        workers.waitForAll()
        let after = try VarlinkClient.connect(to: socketPath, timeout: .seconds(10))
            .call(DiscoveryInterface.Acquire(email: "other@example.net", want: "imaps", clientHost: nil, alternatives: nil))
        let result = counters.state.withLock { $0 }
        let served = reconnections.served.withLock { $0.count }
        say("  restarted in \(String(format: "%.2f", restartTime)) s; \(served) of \(clients) clients served again \(String(format: "%.2f", allBack)) s after the kill")
        say("  \(result.calls) calls answered, \(result.failures.count) error replies")
        checks.check(served == clients, "every client reconnected and was served")
        checks.check(result.failures.isEmpty, "no answered call was an error")
        // The endpoint's ttl counts down (issue 11, finding 6): the pin is the endpoint without it, and the address.
        let restored = (try? after.get()).map { after in
            (try? pinned.get()).map { after.reused && after.endpoint.withoutTTL == $0.endpoint.withoutTTL && after.address == $0.address }
                ?? false
        } ?? false
        checks.check(restored, "the pin was restored after kill -9")
        if !restored { say("    before: \(pinned)\n    after: \(after)") }
        return restarted
    }

    /// A client of phase 2: Lookups every 10 ms, reconnecting whenever the daemon went away;
    /// notes when it is first served after the restart.
    private static func reconnecting(_ socketPath: String, _ index: Int, _ counters: Counters, _ reconnections: Reconnections) {
        var client: VarlinkClient?
        var round = index
        while !counters.stop.load(ordering: .relaxed) {
            if client == nil { client = try? VarlinkClient.connect(to: socketPath, timeout: .seconds(10)) }
            guard let connected = client else { usleep(20_000); continue }
            let (email, want, _) = Lookups.emails[round % Lookups.emails.count]
            do {
                let reply = try connected.call(DiscoveryInterface.Lookup(email: email, want: want, clientHost: nil, resolve: nil))
                counters.state.withLock { state in
                    state.calls += 1
                    if case .failure(let error) = reply { state.failures.append(error.name) }
                }
                if let restarted = reconnections.restartedAt.withLock({ $0 }), Date() > restarted {
                    reconnections.served.withLock { if $0[index] == nil { $0[index] = Date() } }
                }
            } catch is VarlinkClientError {
                connected.close()
                client = nil   // the daemon went away: reconnect
            } catch {
                counters.state.withLock { $0.calls += 1; $0.failures.append("\(error)") }   // a reply that is not a LookupReply
            }
            round += 1
            usleep(10_000)
        }
        client?.close()
    }
}

/// When phase 2's daemon was restarted, and when each client was first served after.
final class Reconnections: Sendable {
    let restartedAt = Mutex<Date?>(nil)
    let served = Mutex<[Int: Date]>([:])
}
