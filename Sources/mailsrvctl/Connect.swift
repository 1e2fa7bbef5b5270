import ArgumentParser
import Foundation
import MailSRVInterface

/// `mailsrvctl connect alice@example.net`: the command a mail client runs to make its
/// connection (neomutt `tunnel`, mbsync `Tunnel`, …); CLIENTS.md §1. Exit codes are
/// sysexits: 0 the session ran, 69 no server could be used, 68 invalid address, 75 the
/// daemon or DNS failed, 64 bad usage.
struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect to a mail server of an address, over TLS, and relay stdin/stdout to it.",
        discussion: """
            For mail clients that run a command to make their connection (neomutt tunnel, \
            mbsync Tunnel, fetchmail plugin, Python imaplib.IMAP4_stream). The client speaks \
            plaintext IMAP, POP3 or SMTP over stdin/stdout; the tunnel does TLS (implicit or \
            STARTTLS) and checks the certificate against the names mailsrvd allows.

            Exit codes: 0 the session ran, 69 no server could be used, 68 invalid address or \
            domain, 75 mailsrvd or DNS failed, 64 bad usage. Why a tunnel failed goes to \
            stderr and the journal (journalctl -t mailsrvctl).
            """)

    @Argument(help: "The email address (or mail domain).")
    var email: String

    @Option(name: .long, help: ArgumentHelp("imap (default), pop3 or submission.", valueName: "protocol"))
    var `protocol` = "imap"

    @Option(name: .long, help: ArgumentHelp("One service only: imaps, imap, pop3s, pop3, submissions or submission.",
                                            valueName: "service"))
    var want: String?

    @Flag(name: .long, help: "No TLS by the tunnel: the client does it.")
    var raw = false

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Trusted CAs (PEM), instead of the system's.", valueName: "file"))
    var caFile: String?

    @Option(name: .customLong("client-host"),
            help: ArgumentHelp("Host name for the same-subdomain preference and EHLO.", valueName: "fqdn"))
    var clientHost: String?

    @Option(name: .long, help: ArgumentHelp("mailsrvd's socket.", valueName: "path"))
    var socket: String?

    /// The services of each protocol, and its `want` on the wire.
    static let groups = ["imap": ("imap-group", ["imaps", "imap"]),
                         "pop3": ("pop3-group", ["pop3s", "pop3"]),
                         "submission": ("submission", ["submissions", "submission"])]

    func run() throws {
        guard let (group, services) = Self.groups[`protocol`] else {
            throw usage("--protocol must be imap, pop3 or submission, not '\(`protocol`)'")
        }
        if let want, !services.contains(want) {
            throw usage("--want \(want) is not a service of \(`protocol`) (\(services.joined(separator: ", ")))")
        }
        let tunnel = Tunnel(email: email, want: want ?? group, only: want, raw: raw, caFile: caFile, clientHost: clientHost,
                            socket: socket ?? SocketLocation.clientDefault(environment: ProcessInfo.processInfo.environment))
        do {
            try tunnel.run()
        } catch {
            Tunnel.report("\(email): \(error)")
            throw ExitCode(error.exitCode)
        }
    }

    private func usage(_ text: String) -> ExitCode {
        Tunnel.report(text)
        return ExitCode(64)
    }
}
