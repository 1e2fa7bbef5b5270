import ArgumentParser
import MailSRVInterface

/// `mailsrvctl trust DOMAIN HOST`: the caller's confirmation that HOST serves mail for
/// DOMAIN (CLIENTS.md §2), so that a certificate naming HOST is accepted for DOMAIN.
struct Trust: TrustChange {
    static let configuration = CommandConfiguration(
        abstract: "Accept HOST as a mail server of DOMAIN (for your user only).",
        discussion: """
            From then on a certificate naming HOST is accepted for DOMAIN when HOST is the \
            server DNS gave (RFC 6186 §6, RFC 7817), and HOST's earlier failures are forgotten. \
            Kept across restarts; up to 256 per user.
            """)

    @OptionGroup var target: TrustTarget
    @OptionGroup var options: ClientOptions

    var call: DiscoveryInterface.Trust { DiscoveryInterface.Trust(domain: target.domain, host: target.host) }

    static func describe(_ reply: DiscoveryInterface.Trust.Reply) -> String {
        reply.added
            ? "trusting \(reply.host) as a mail server of \(reply.domain)"
            : "\(reply.host) was already trusted as a mail server of \(reply.domain)"
    }
}

/// `mailsrvctl untrust DOMAIN HOST`: withdraws a confirmation of `trust`.
struct Untrust: TrustChange {
    static let configuration = CommandConfiguration(abstract: "Withdraw a confirmation made with 'trust'.")

    @OptionGroup var target: TrustTarget
    @OptionGroup var options: ClientOptions

    var call: DiscoveryInterface.Untrust { DiscoveryInterface.Untrust(domain: target.domain, host: target.host) }

    static func describe(_ reply: DiscoveryInterface.Untrust.Reply) -> String {
        reply.removed
            ? "no longer trusting \(reply.host) as a mail server of \(reply.domain)"
            : "\(reply.host) was not trusted as a mail server of \(reply.domain)"
    }
}

/// `trust` and `untrust`: one call about DOMAIN HOST, its reply printed (`--json`) or in
/// words. A refusal says which name is bad, or how to make room.
protocol TrustChange: ParsableCommand {
    associatedtype Call: DiscoveryCall
    var target: TrustTarget { get }
    var options: ClientOptions { get }
    /// The call about `target`.
    var call: Call { get }
    /// The reply in words.
    static func describe(_ reply: Call.Reply) -> String
}

extension TrustChange {
    func run() throws {
        try reportingFailures {
            let answer: Answer<Call.Reply>
            do throws(Failure) {
                answer = try DaemonConnection(options).call(call)
            } catch var failure {
                switch (failure.error, failure.invalidParameter) {
                case (_, "domain"?): failure.description = "not a domain name: '\(target.domain)'"
                case (_, "host"?): failure.description = "not a host name: '\(target.host)'"
                case (.tooManyRequests?, _):
                    failure.description = "mailsrvd refused: a user may trust at most 256 servers; "
                        + "remove one with 'mailsrvctl untrust DOMAIN HOST' (see 'mailsrvctl trusted')"
                default: break
                }
                throw failure
            }
            if options.json { return printJSON(answer.json) }
            print(Self.describe(answer.reply))
        }
    }
}

/// The DOMAIN and HOST arguments of `trust` and `untrust`.
struct TrustTarget: ParsableArguments {
    @Argument(help: "The mail domain, e.g. gmail.com.")
    var domain: String

    @Argument(help: "The server's host name, e.g. imap.gmail.com.")
    var host: String
}
