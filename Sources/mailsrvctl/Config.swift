import ArgumentParser
import ClientConfig
import Foundation
import MailSRVInterface

/// `mailsrvctl config alice@example.net --format msmtp`: one account's configuration for
/// a mail client, from one retrieval and one submission Lookup (CLIENTS.md §3).
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a mail client's configuration for an account, from its domain's SRV records.",
        discussion: """
            Hooks (mbsync Tunnel, neomutt tunnel, fetchmail plugin) run 'mailsrvctl connect', so \
            that every connection gets pins and failover; --no-tunnel writes the best server \
            instead. msmtp, aerc and getmail have no hook and always get the best server. \
            Passwords are never written: --password-command goes into the client's own setting, \
            or a commented placeholder shows where. Exit 3 when the domain offers nothing the \
            client can use.
            """)

    @Argument(help: "The account's email address.")
    var email: String

    @Option(name: .long, help: ArgumentHelp(
        "msmtp, mbsync, neomutt, aerc, fetchmail, getmail or thunderbird.", valueName: "client"))
    var format: ClientFormat

    @Option(name: .long, help: ArgumentHelp("The login name (default: the whole address).", valueName: "login"))
    var user: String?

    @Option(name: .customLong("password-command"),
            help: ArgumentHelp("A shell command that prints the password.", valueName: "command"))
    var passwordCommand: String?

    @Flag(name: .customLong("no-tunnel"), help: "Connect to the best server directly, without mailsrvctl connect.")
    var noTunnel = false

    @Option(name: .long, help: ArgumentHelp("The daemon's socket (default: see mailsrvctl --help).", valueName: "path"))
    var socket: String?

    func run() throws {
        try reportingFailures {
            var options = ClientOptions()
            options.socket = socket
            let connection = try DaemonConnection(options)
            let retrieval = try lookup(connection, want: "retrieval")
            let submission = try lookup(connection, want: "submission")
            let domain = retrieval?.domain ?? submission?.domain ?? String(email.split(separator: "@").last ?? "")
            let account = AccountServers(domain: domain, incoming: Self.servers(retrieval),
                                         outgoing: Self.servers(submission))
            let settings = ClientSettings(
                email: email, user: user, passwordCommand: passwordCommand, tunnel: !noTunnel,
                mailsrvctl: Self.ownPath, socket: socket,
                retrievalNames: retrieval?.verifyNames ?? [], submissionNames: submission?.verifyNames ?? [])
            do {
                print(try format.render(account, settings), terminator: "")
            } catch {
                throw Failure(description: "\(error)", kind: .unavailable)
            }
        }
    }

    /// One Lookup's reply; nil when the domain offers no such service.
    private func lookup(_ connection: DaemonConnection, want: String) throws -> DiscoveryInterface.Lookup.Reply? {
        do {
            return try connection.call(DiscoveryInterface.Lookup(email: email, want: want, clientHost: nil, resolve: nil)).reply
        } catch where error.error == .noService {
            return nil
        }
    }

    private static func servers(_ reply: DiscoveryInterface.Lookup.Reply?) -> [MailServer] {
        (reply?.candidates ?? []).compactMap { MailServer(service: $0.service, host: $0.host, port: $0.port) }
    }

    /// This mailsrvctl's own path, for the hooks: the command that wrote the fragment is
    /// the one that will run it.
    static var ownPath: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}

extension ClientFormat: ExpressibleByArgument {}
