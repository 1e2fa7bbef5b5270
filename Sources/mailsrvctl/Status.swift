import ArgumentParser
import Varlink

/// `mailsrvctl status`: which daemon answers, and its counters.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whether mailsrvd runs, its version and counters.")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let connection = try DaemonConnection(options)
            let info = try connection.call(qualified: "org.varlink.service.GetInfo")
            let stats = try connection.call(.stats)
            if options.json { return printJSON(["info": .object(info), "stats": .object(stats)]) }
            print("\(info["product"]?.stringValue ?? "mailsrvd") \(info["version"]?.stringValue ?? "") "
                + "running on \(connection.path)")
            print(Stats.render(stats))
        }
    }
}
