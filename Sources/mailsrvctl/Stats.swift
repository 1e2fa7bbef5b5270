import ArgumentParser
import Varlink

/// `mailsrvctl stats`: the daemon's counters.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's counters.")

    @OptionGroup var options: ClientOptions

    /// The counters in the order shown, with their labels.
    static let counters: [(key: String, label: String)] = [
        ("cachedNames", "Cached names"), ("cacheHits", "Cache hits"), ("cacheMisses", "Cache misses"),
        ("staleServed", "Stale answers served"), ("dnsQueries", "DNS queries"), ("clients", "Clients"),
        ("leases", "Leases"), ("uptimeSeconds", "Uptime (s)"),
    ]

    func run() throws {
        try reportingFailures {
            let reply = try DaemonConnection(options).call(.stats)
            if options.json { return printJSON(reply) }
            print(Self.render(reply))
        }
    }

    static func render(_ reply: JSONObject) -> String {
        let width = counters.map(\.label.count).max() ?? 0
        return counters.map { counter in
            let label = String(repeating: " ", count: width - counter.label.count) + counter.label
            return "\(label): \(reply[counter.key]?.intValue.map(String.init) ?? "?")"
        }.joined(separator: "\n")
    }
}
