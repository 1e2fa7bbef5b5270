import ArgumentParser
import Varlink

/// `mailsrvctl trusted`: the caller's confirmations.
struct Trusted: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the mail servers you trust (see 'trust').")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let reply = try DaemonConnection(options).call(.listTrusted)
            if options.json { return printJSON(reply) }
            let trusted = reply["trusted"]?.arrayValue ?? []
            var table = Table(header: ["DOMAIN", "HOST"])
            for entry in trusted {
                table.rows.append([entry["domain"]?.stringValue ?? "", entry["host"]?.stringValue ?? ""])
            }
            print(trusted.isEmpty ? "no trusted servers" : table.render())
        }
    }
}
