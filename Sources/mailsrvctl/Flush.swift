import ArgumentParser
import Varlink

/// `mailsrvctl flush [domain]`: drops cached records (root only).
struct Flush: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Drop cached DNS records of one domain, or all (root only).")

    @Argument(help: "A mail domain; all records when omitted.")
    var domain: String?

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let parameters: JSONObject = domain.map { ["domain": .string($0)] } ?? [:]
            let reply = try DaemonConnection(options).call(.flush, parameters)
            if options.json { return printJSON(reply) }
            print("flushed \(reply["flushed"]?.intValue ?? 0) cached record set(s)")
        }
    }
}
