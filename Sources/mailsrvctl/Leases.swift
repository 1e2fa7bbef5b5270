import ArgumentParser
import Varlink

/// `mailsrvctl leases`: the caller's own leases.
struct Leases: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show your leases.")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let reply = try DaemonConnection(options).call(.listLeases)
            if options.json { return printJSON(reply) }
            let leases = reply["leases"]?.arrayValue ?? []
            var table = Table(header: ["LEASE", "EMAIL", "WANT", "SERVICE", "HOST", "PORT", "ADDRESS", "STATE"],
                              rightAligned: [5])
            for lease in leases {
                let endpoint = lease["endpoint"]
                table.rows.append([
                    lease["lease"]?.stringValue ?? "", lease["email"]?.stringValue ?? "",
                    lease["want"]?.stringValue ?? "", endpoint?["service"]?.stringValue ?? "",
                    endpoint?["host"]?.stringValue ?? "", endpoint?["port"]?.intValue.map(String.init) ?? "",
                    lease["address"]?.stringValue ?? "", lease["state"]?.stringValue ?? "",
                ])
            }
            print(leases.isEmpty ? "no leases" : table.render())
        }
    }
}
