import ArgumentParser
import Varlink

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
            var parameters: JSONObject = ["email": .string(email)]
            for (name, value) in want.parameters { parameters[name] = .string(value) }
            if noResolve { parameters["resolve"] = false }
            let reply = try DaemonConnection(options).call(.lookup, parameters)
            if options.json { return printJSON(reply) }
            let candidates = reply["candidates"]?.arrayValue ?? []
            let names = reply["verifyNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
            print("\(reply["domain"]?.stringValue ?? email): \(candidates.count) candidate(s), "
                + "source: \(reply["source"]?.stringValue ?? "?"), dnssec: \(reply["dnssec"]?.stringValue ?? "?")")
            print("certificate names: \(names.joined(separator: " "))\n")
            print(EndpointRows.table(candidates).render())
        }
    }
}
