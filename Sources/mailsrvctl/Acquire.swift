import ArgumentParser
import Foundation
import MailSRVInterface

/// `mailsrvctl acquire alice@example.net`: takes a lease and holds it until Ctrl-C (or
/// SIGTERM), for scripts and testing; the lease ends with the connection.
struct Acquire: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a lease on the server to connect to, and hold it until interrupted.")

    @Argument(help: "An email address or a mail domain.")
    var email: String

    @OptionGroup var want: WantOptions
    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let connection = try DaemonConnection(options)
            let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
            let answer = try connection.call(DiscoveryInterface.Acquire(
                email: email, want: want.wanted, clientHost: want.clientHost, alternatives: nil))
            if options.json {
                printJSON(answer.json)
            } else {
                let reply = answer.reply
                print("lease:   \(reply.lease)")
                print("address: \(reply.address)")
                print("reused:  \(reply.reused ? "yes" : "no")")
                print("certificate names: \(reply.verifyNames.joined(separator: " "))\n")
                print(EndpointRows.table([reply.endpoint]).render())
                print("\nholding the lease; Ctrl-C releases it")
            }
            fflush(nil)  // all streams: the lines above must reach a pipe before we block
            signals.wait()
        }
    }
}

/// Blocks the given signals so that `wait()` can take them synchronously.
struct SignalWaiter {
    private var set = sigset_t()

    init(signals: [Int32]) {
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    func wait() {
        var set = self.set
        var received: Int32 = 0
        sigwait(&set, &received)
    }
}
