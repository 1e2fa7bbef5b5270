import ArgumentParser
import MailSRVInterface

/// `mailsrvctl flush [domain]`: drops cached records (root only).
struct Flush: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Drop cached DNS records of one domain, or all (root only).")

    @Argument(help: "A mail domain; all records when omitted.")
    var domain: String?

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let answer = try DaemonConnection(options).call(DiscoveryInterface.Flush(domain: domain))
            if options.json { return printJSON(answer.json) }
            print("flushed \(answer.reply.flushed) cached record set(s)")
        }
    }
}
