import ArgumentParser
import MailSRVInterface
import Varlink

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
            let reply = try target.call(.trust, options)
            if options.json { return printJSON(reply) }
            let (domain, host) = TrustTarget.names(reply)
            print(reply["added"]?.boolValue == true
                  ? "trusting \(host) as a mail server of \(domain)"
                  : "\(host) was already trusted as a mail server of \(domain)")
        }
    }
}

struct Untrust: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Withdraw a confirmation made with 'trust'.")

    @OptionGroup var target: TrustTarget
    @OptionGroup var options: ClientOptions

    func run() throws {
        try reportingFailures {
            let reply = try target.call(.untrust, options)
            if options.json { return printJSON(reply) }
            let (domain, host) = TrustTarget.names(reply)
            print(reply["removed"]?.boolValue == true
                  ? "no longer trusting \(host) as a mail server of \(domain)"
                  : "\(host) was not trusted as a mail server of \(domain)")
        }
    }
}

/// The DOMAIN and HOST arguments of `trust` and `untrust`.
struct TrustTarget: ParsableArguments {
    @Argument(help: "The mail domain, e.g. gmail.com.")
    var domain: String

    @Argument(help: "The server's host name, e.g. imap.gmail.com.")
    var host: String

    /// Calls `method` with the two names; says which name is bad, or how to make room.
    func call(_ method: DiscoveryInterface.Method, _ options: ClientOptions) throws -> JSONObject {
        do {
            return try DaemonConnection(options).call(method, ["domain": .string(domain), "host": .string(host)])
        } catch var failure as Failure {
            switch (failure.error, failure.invalidParameter) {
            case (_, "domain"?): failure.description = "not a domain name: '\(domain)'"
            case (_, "host"?): failure.description = "not a host name: '\(host)'"
            case (.tooManyRequests?, _):
                failure.description = "you trust as many servers as you may already (256); "
                    + "remove one with 'mailsrvctl untrust DOMAIN HOST' (see 'mailsrvctl trusted')"
            default: break
            }
            throw failure
        }
    }

    /// The names as the daemon stored them (A-labels).
    static func names(_ reply: JSONObject) -> (domain: String, host: String) {
        (reply["domain"]?.stringValue ?? "?", reply["host"]?.stringValue ?? "?")
    }
}
