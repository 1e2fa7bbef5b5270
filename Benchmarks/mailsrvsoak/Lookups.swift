import MailSRVInterface
import Varlink

/// The calls the soak makes, built from the typed contract of MailSRVInterface.
enum Lookups {
    /// The addresses the well-behaved clients look up in turn, with the domain each reply must name.
    static let emails: [(email: String, want: String, domain: String)] = [
        ("soak@example.net", "retrieval", "example.net"), ("soak@example.net", "submission", "example.net"),
        ("soak@regional.example.net", "imaps", "regional.example.net"), ("soak@nopop.example.net", "retrieval", "nopop.example.net"),
        ("soak@bücher.example.net", "imaps", "xn--bcher-kva.example.net"), ("soak@live.example.net", "imaps", "live.example.net"),
    ]

    /// One Lookup checked in full: no error, the right domain, at least one candidate;
    /// nil when it passed, else what went wrong.
    static func wellFormed(_ client: VarlinkClient, _ index: Int) -> String? {
        let (email, want, domain) = emails[index % emails.count]
        do {
            switch try client.call(DiscoveryInterface.Lookup(email: email, want: want, clientHost: nil, resolve: nil)) {
            case .failure(let error):
                return "\(error.name) \(error.parameters)"
            case .success(let reply):
                return reply.domain == domain && !reply.candidates.isEmpty ? nil : "unexpected reply \(reply)"
            }
        } catch {
            return "\(error)"
        }
    }

    /// The bytes of a Lookup of `name@example.net` (want = imaps), NUL included.
    static func message(_ name: String) -> [UInt8] {
        framed(VarlinkCall(DiscoveryInterface.Lookup(email: "\(name)@example.net", want: "imaps", clientHost: nil, resolve: nil)))
    }

    /// The bytes of a Stats call, NUL included.
    static let stats = framed(VarlinkCall(DiscoveryInterface.Stats()))

    /// The calls with large replies the non-readers pipeline: the interface's description,
    /// a Lookup of 100 SRV targets, an Acquire of a target with 4,000 addresses (which the
    /// daemon bounds to 16).
    static let bigReplies: [UInt8] = [
        VarlinkCall(method: "org.varlink.service.GetInterfaceDescription", parameters: ["interface": .string(DiscoveryInterface.name)]),
        VarlinkCall(DiscoveryInterface.Lookup(email: "big@wide.test", want: "imaps", clientHost: nil, resolve: nil)),
        VarlinkCall(DiscoveryInterface.Acquire(email: "big@many.test", want: "imaps", clientHost: nil, alternatives: nil)),
    ].flatMap(framed)

    private static func framed(_ call: VarlinkCall) -> [UInt8] {
        Array(call.serialized().utf8) + [0]
    }
}
