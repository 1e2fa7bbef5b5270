import ArgumentParser
import MailSRVInterface

/// `mailsrvctl lookup alice@example.net`: every candidate, best first.
struct Lookup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the mail servers of an address's domain, best first.")

    @Argument(help: "An email address or a mail domain.")
    var email: String

    @OptionGroup var want: WantOptions
    @OptionGroup var options: ClientOptions

    @Flag(name: .customLong("no-resolve"), help: "Do not resolve the servers' addresses.")
    var noResolve = false

    func run() throws {
        try reportingFailures {
            let answer = try DaemonConnection(options).call(DiscoveryInterface.Lookup(
                email: email, want: want.wanted, clientHost: want.clientHost, resolve: noResolve ? false : nil))
            if options.json { return printJSON(answer.json) }
            let reply = answer.reply
            print("\(reply.domain): \(reply.candidates.count) candidate(s), "
                + "source: \(reply.source), dnssec: \(reply.dnssec)")
            print("certificate names: \(reply.verifyNames.joined(separator: " "))\n")
            print(EndpointRows.table(reply.candidates).render())
        }
    }
}
