import ArgumentParser
import MailSRVInterface

/// `mailsrvctl leases`: the caller's own leases.
struct Leases: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show your leases.")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let answer = try DaemonConnection(options).call(DiscoveryInterface.ListLeases())
            if options.json { return printJSON(answer.json) }
            let leases = answer.reply.leases
            var table = Table(header: ["LEASE", "EMAIL", "WANT", "SERVICE", "HOST", "PORT", "ADDRESS", "STATE"],
                              rightAligned: [5])
            for lease in leases {
                table.rows.append([lease.lease, lease.email, lease.want, lease.endpoint.service, lease.endpoint.host,
                                   String(lease.endpoint.port), lease.address, lease.state])
            }
            print(leases.isEmpty ? "no leases" : table.render())
        }
    }
}
