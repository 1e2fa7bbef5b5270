import ArgumentParser
import MailSRVInterface

/// `mailsrvctl trust DOMAIN HOST` and `untrust DOMAIN HOST`: the caller's confirmation that
/// HOST serves mail for DOMAIN (CLIENTS.md §2), so that a certificate naming HOST is
/// accepted for DOMAIN.
struct Trust: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accept HOST as a mail server of DOMAIN (for your user only).",
        discussion: """
            From then on a certificate naming HOST is accepted for DOMAIN when HOST is the \
            server DNS gave (RFC 6186 §6, RFC 7817), and HOST's earlier failures are forgotten. \
            Kept across restarts; up to 256 per user.
            """)

    @OptionGroup var target: TrustTarget
    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            try target.change(DiscoveryInterface.Trust(domain: target.domain, host: target.host), options) { reply in
                reply.added
                    ? "trusting \(reply.host) as a mail server of \(reply.domain)"
                    : "\(reply.host) was already trusted as a mail server of \(reply.domain)"
            }
        }
    }
}

struct Untrust: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Withdraw a confirmation made with 'trust'.")

    @OptionGroup var target: TrustTarget
    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            try target.change(DiscoveryInterface.Untrust(domain: target.domain, host: target.host), options) { reply in
                reply.removed
                    ? "no longer trusting \(reply.host) as a mail server of \(reply.domain)"
                    : "\(reply.host) was not trusted as a mail server of \(reply.domain)"
            }
        }
    }
}

/// The DOMAIN and HOST arguments of `trust` and `untrust`.
struct TrustTarget: ParsableArguments {
    @Argument(help: "The mail domain, e.g. gmail.com.")
    var domain: String

    @Argument(help: "The server's host name, e.g. imap.gmail.com.")
    var host: String

    /// Makes `call` and prints its reply (`--json`) or what `describe` makes of it. A
    /// refusal says which name is bad, or how to make room.
    func change<Call: DiscoveryCall>(_ call: Call, _ options: ClientOptions,
                                     describe: (Call.Reply) -> String) throws {
        let answer: Answer<Call.Reply>
        do {
            answer = try DaemonConnection(options).call(call)
        } catch var failure as Failure {
            switch (failure.error, failure.invalidParameter) {
            case (_, "domain"?): failure.description = "not a domain name: '\(domain)'"
            case (_, "host"?): failure.description = "not a host name: '\(host)'"
            case (.tooManyRequests?, _):
                failure.description = "mailsrvd refused: a user may trust at most 256 servers; "
                    + "remove one with 'mailsrvctl untrust DOMAIN HOST' (see 'mailsrvctl trusted')"
            default: break
            }
            throw failure
        }
        if options.json { return printJSON(answer.json) }
        print(describe(answer.reply))
    }
}
