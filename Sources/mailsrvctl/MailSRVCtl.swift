import ArgumentParser
import Foundation

/// `mailsrvctl`: asks the running mailsrvd, in the style of `resolvectl` (DESIGN.md §7).
/// Exit codes: 0 found, 1 error talking to the daemon, 2 bad usage, 3 no service or exhausted.
@main
struct MailSRVCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailsrvctl",
        abstract: "Ask mailsrvd where a mail domain's IMAP, POP3 and submission servers are.",
        discussion: """
            Talks to mailsrvd over Varlink: $MAILSRVD_SOCKET, else the socket of your own \
            mailsrvd ($XDG_RUNTIME_DIR/mailsrvd/io.mailsrvd.Discovery) when it runs, else the \
            system one (/run/mailsrvd/io.mailsrvd.Discovery).

            Exit codes: 0 found, 1 error talking to the daemon, 2 bad usage, 3 no service or exhausted.
            """,
        subcommands: [Lookup.self, Acquire.self, Leases.self, Stats.self, Flush.self, Status.self, Connect.self,
                      Trust.self, Untrust.self, Trusted.self, Config.self])

    /// The exit code of bad usage (DESIGN.md §7); ArgumentParser's own is 64 (EX_USAGE).
    static let usageExitCode: Int32 = 2

    /// Parses and runs the verb like ArgumentParser's `main()`, but exits with
    /// ``usageExitCode`` on bad usage.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            // connect is run by mail clients, which name sysexits codes: its bad usage is EX_USAGE.
            Foundation.exit(CommandLine.arguments.dropFirst().first == "connect" ? 64 : usageExitCode)
        }
    }
}

/// Options every verb takes.
struct ClientOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the daemon's reply as JSON, as is.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("The daemon's socket (default: see above).", valueName: "path"))
    var socket: String?
}

/// `--want`, `--submission` and `--client-host`, shared by lookup and acquire.
struct WantOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "retrieval (default), submission, imap-group, pop3-group, imaps, imap, pop3s, pop3 or submissions.", valueName: "want"))
    var want: String?

    @Flag(name: .long, help: "Same as --want submission.")
    var submission = false

    @Option(name: .customLong("client-host"),
            help: ArgumentHelp("Host name for the same-subdomain preference (default: this host's).", valueName: "fqdn"))
    var clientHost: String?

    func validate() throws {
        if submission && want != nil { throw ValidationError("--submission and --want exclude each other") }
    }

    /// The `want` call parameter: nil when neither `--want` nor `--submission` was given.
    var wanted: String? {
        submission ? "submission" : want
    }
}
