/// Asks DNS one question. The core depends on this; `Resolver.UnboundResolver` implements it
/// with libunbound, and tests may wrap a real resolver with it.
///
/// The outcome is a `Result`, not a typed `throws`: typed throws through a protocol
/// existential miscompiled in release builds (corrupted answers) with Swift 6.3.
public protocol DNSQuerying: Sendable {
    /// Resolves `name` (an A-label domain name without trailing dot) for `type`; a
    /// `ResolutionFailure` when no usable answer came back.
    func answer(name: String, type: RecordType) async -> Result<DNSAnswer, ResolutionFailure>
}

/// Why the resolver could not answer: timeout, SERVFAIL, network down, or a bogus
/// answer in strict DNSSEC mode. Negative answers are not failures.
public struct ResolutionFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
