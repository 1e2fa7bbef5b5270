import ArgumentParser
import MailSRVInterface

/// `mailsrvctl trusted`: the caller's confirmations.
struct Trusted: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the mail servers you trust (see 'trust').")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let answer = try DaemonConnection(options).call(DiscoveryInterface.ListTrusted())
            if options.json { return printJSON(answer.json) }
            var table = Table(header: ["DOMAIN", "HOST"])
            table.rows = answer.reply.trusted.map { [$0.domain, $0.host] }
            print(table.rows.isEmpty ? "no trusted servers" : table.render())
        }
    }
}
