import ArgumentParser
import MailSRVInterface
import Varlink

/// `mailsrvctl status`: which daemon answers, and its counters.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whether mailsrvd runs, its version and counters.")

    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let connection = try DaemonConnection(options)
            let info = try connection.call(VarlinkServiceCalls.GetInfo())
            let stats = try connection.call(DiscoveryInterface.Stats())
            if options.json { return printJSON(["info": .object(info.json), "stats": .object(stats.json)]) }
            print("\(info.reply.product) \(info.reply.version) running on \(connection.path)")
            print(Stats.render(stats.reply))
        }
    }
}
