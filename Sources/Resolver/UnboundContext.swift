import CUnbound
import MailDiscovery

/// The resolver could not be set up (bad upstream address, unreadable trust anchor, …).
public struct ResolverSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Creating and configuring one `ub_ctx`, completely, before its first query.
enum UnboundContext {
    /// A new context for `configuration`, in thread mode (`ub_ctx_async(ctx, 1)`; never fork).
    static func make(_ configuration: ResolverConfiguration) throws(ResolverSetupError) -> OpaquePointer {
        guard let ctx = ub_ctx_create() else { throw ResolverSetupError("ub_ctx_create failed") }
        do {
            try configure(ctx, configuration)
            try finalize(ctx)
            return ctx
        } catch {
            ub_ctx_delete(ctx)
            throw error
        }
    }

    private static func configure(_ ctx: OpaquePointer, _ c: ResolverConfiguration) throws(ResolverSetupError) {
        try check(ub_ctx_async(ctx, 1), "ub_ctx_async")
        try LocalZones.configure(ctx)
        try Patience.apply(ctx)
        for upstream in c.upstreams.isEmpty ? ResolvConf.nameserversOrLocalhost() : c.upstreams {
            try check(ub_ctx_set_fwd(ctx, upstream), "upstream \"\(upstream)\"")
        }

        switch c.dnssec {
        case .off:
            // Iterator only: no validator, no anchors; every answer is insecure.
            try set(ctx, "module-config:", "iterator")
        case .permissive, .strict:
            // Both validate the same way. Not `val-permissive-mode: yes`: libunbound then
            // turns bogus into "indeterminate" and reports bogus == 0. Without it, a bogus
            // answer still comes back with its data and bogus == 1; permissive mode
            // passes it on as `.bogus`, strict mode fails (see UnboundAnswer.answer).
            if let file = c.trustAnchorFile {
                try check(ub_ctx_add_ta_file(ctx, file), "trust anchor file \(file)")
            }
            for anchor in c.trustAnchors {
                try check(ub_ctx_add_ta(ctx, anchor), "trust anchor \"\(anchor)\"")
            }
        }
    }

    /// libunbound reads trust anchors and applies options only when it finalizes the
    /// context, normally at the first query; finalized here, bad settings fail at once.
    private static func finalize(_ ctx: OpaquePointer) throws(ResolverSetupError) {
        try LocalZones.finalizeAndRemove(ctx, what: "resolver settings")
    }

    static func set(_ ctx: OpaquePointer, _ option: String, _ value: String) throws(ResolverSetupError) {
        try check(ub_ctx_set_option(ctx, option, value), "option \(option) \(value)")
    }

    static func check(_ rc: Int32, _ what: String) throws(ResolverSetupError) {
        guard rc == 0 else { throw ResolverSetupError("\(what): \(errorText(rc))") }
    }

    /// libunbound's text for one of its error codes.
    static func errorText(_ rc: Int32) -> String {
        String(cString: ub_strerror(rc))
    }
}
