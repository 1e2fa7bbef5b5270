import CUnbound

/// libunbound answers some names itself from built-in local zones: RFC 6761 `test.`,
/// `invalid.`, `localhost.`, RFC 7686 `onion.`, RFC 8375 `home.arpa.`, the loopback and
/// private reverse zones (RFC 6303, AS112). mailsrvd is a stub for the user's resolver
/// (DESIGN.md §4, "The user's resolver is the truth"), so every one of them is turned off
/// and those names go to the upstream like any other.
///
/// libunbound has no option that drops all of them: `unblock-lan-zones` drops the AS112
/// reverse zones, and the others are removed from the finalized context one by one
/// (`ub_ctx_zone_remove`; `local-zone: NAME nodefault` cannot be given through
/// `ub_ctx_set_option`: libunbound 1.17 keeps "NAME nodefault" as the name). The list is
/// libunbound 1.17.1's (Debian 12) and 1.26's (`resolver.arpa.`, `service.arpa.`); a test
/// reads the zones of a configured context and fails if a newer libunbound added one.
enum LocalZones {
    /// The default zones that `unblock-lan-zones` does not remove.
    static let defaults = [
        "localhost.", "127.in-addr.arpa.",
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
        "test.", "invalid.", "onion.", "home.arpa.", "resolver.arpa.", "service.arpa.",
    ]

    /// Names the root zone does not delegate: without `domain-insecure` the validator
    /// would call the upstream's answers for them bogus (the signed root proves they do
    /// not exist). The reverse zones and `home.arpa.` are insecure delegations already.
    static let undelegated = ["localhost.", "test.", "invalid.", "onion."]

    /// Before the context is finalized: the options.
    static func configure(_ ctx: OpaquePointer) throws(ResolverSetupError) {
        try UnboundContext.set(ctx, "unblock-lan-zones:", "yes")
        try UnboundContext.set(ctx, "insecure-lan-zones:", "yes")
        for zone in undelegated {
            try UnboundContext.set(ctx, "domain-insecure:", zone)
        }
    }

    /// Finalizes the context (the first `ub_ctx_zone_remove` does, so bad settings fail
    /// here, named `what`), then removes the default zones that are left.
    static func finalizeAndRemove(_ ctx: OpaquePointer, what: String) throws(ResolverSetupError) {
        for zone in defaults {
            // Removing a zone that does not exist is a no-op.
            try UnboundContext.check(ub_ctx_zone_remove(ctx, zone), what)
        }
    }
}
