import ArgumentParser
import MailSRVInterface

/// `mailsrvctl stats`: the daemon's counters.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's counters.")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let answer = try DaemonConnection(options).call(DiscoveryInterface.Stats())
            if options.json { return printJSON(answer.json) }
            print(Self.render(answer.reply))
        }
    }

    /// The counters with their labels, aligned on the colon.
    static func render(_ stats: DiscoveryInterface.StatsReply) -> String {
        let counters = [
            ("Cached names", stats.cachedNames), ("Cache hits", stats.cacheHits), ("Cache misses", stats.cacheMisses),
            ("Stale answers served", stats.staleServed), ("DNS queries", stats.dnsQueries), ("Clients", stats.clients),
            ("Leases", stats.leases), ("Uptime (s)", stats.uptimeSeconds),
        ]
        let width = counters.map(\.0.count).max() ?? 0
        return counters.map { label, value in
            String(repeating: " ", count: width - label.count) + "\(label): \(value)"
        }.joined(separator: "\n")
    }
}
