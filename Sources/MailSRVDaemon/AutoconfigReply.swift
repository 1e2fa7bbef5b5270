import ClientConfig
import MailDiscovery

/// An HTTP reply of the autoconfig endpoint: status, content type, body. Every reply
/// ends its connection.
public struct AutoconfigReply: Equatable, Sendable {
    public var status: Int
    public var reason: String
    public var contentType: String
    public var body: String

    public static let notFound = text(404, "Not Found", "no such path, or no mail service for this domain")
    public static let invalidDomain = text(400, "Bad Request", "not a mail domain or email address")
    public static let methodNotAllowed = text(405, "Method Not Allowed", "only GET is served")
    public static let tooLarge = text(431, "Request Header Fields Too Large", "request too large")
    public static let malformed = text(400, "Bad Request", "malformed HTTP request")
    public static let unavailable = text(503, "Service Unavailable", "DNS failed; try again later")

    static func text(_ status: Int, _ reason: String, _ body: String) -> AutoconfigReply {
        AutoconfigReply(status: status, reason: reason, contentType: "text/plain; charset=utf-8", body: body + "\n")
    }

    /// The answer for `domain` from its retrieval and submission lookups: the clientConfig
    /// document with every candidate in discovery order. No retrieval service → 404 (there
    /// is nothing to set up; Thunderbird goes on guessing). A domain without submission
    /// gets a document without `outgoingServer`. A DNS failure of either → 503.
    public static func answer(domain: String, retrieval: Result<LookupResult, DiscoveryError>,
                              submission: Result<LookupResult, DiscoveryError>) -> AutoconfigReply {
        let incoming: [Endpoint]
        switch retrieval {
        case .success(let result): incoming = result.candidates
        case .failure(.noService): return .notFound
        case .failure(.invalidAddress), .failure(.invalidClientHost): return .invalidDomain
        case .failure(.resolutionFailed): return .unavailable
        }
        let outgoing: [Endpoint]
        switch submission {
        case .success(let result): outgoing = result.candidates
        case .failure(.noService): outgoing = []
        case .failure(.invalidAddress), .failure(.invalidClientHost): return .invalidDomain
        case .failure(.resolutionFailed): return .unavailable
        }
        let account = AccountServers(domain: domain, incoming: incoming.compactMap(\.mailServer),
                                     outgoing: outgoing.compactMap(\.mailServer))
        return AutoconfigReply(status: 200, reason: "OK", contentType: "text/xml",
                               body: AutoconfigDocument.xml(account))
    }
}

extension Endpoint {
    /// This endpoint as a server to configure.
    var mailServer: MailServer? {
        MailServer(service: service.rawValue, host: host, port: port)
    }
}
