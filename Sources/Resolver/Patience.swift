/// How long libunbound waits for its upstream (DESIGN.md §4): a working upstream slower
/// than libunbound's defaults assume is waited for up to the query timeout, which alone
/// bounds a query (then the reason is "timeout").
///
/// libunbound sends a query, waits, sends it again with the same wait, then doubles the
/// wait for the next round; an answer to an attempt it gave up on is dropped. Its first
/// wait for a server without history is 376 ms: an upstream taking 2.5 s was never heard
/// within 5 s. Here the first wait is 3.5 s (70 % of the default query timeout, about
/// glibc's 5 s): an upstream answering within 3.5 s is heard on the first query, a lost
/// packet is sent again after 3.5 s. The price: with several servers of which the first
/// is dead, the first query after a change of servers may time out before the second
/// server is asked; from then on libunbound prefers the live one. The value is a
/// constant because libunbound keeps it in a process-wide variable.
///
/// With `infra-keep-probing`, a server that timed out is still asked (not skipped for up
/// to 15 min), so a failure lasts no longer than the outage; libunbound keeps a SERVFAIL
/// for 5 s (its `NORR_TTL`, not configurable).
enum Patience {
    /// The first wait for a server without history, in ms.
    static let firstWait = 3500

    static func apply(_ ctx: OpaquePointer) throws(ResolverSetupError) {
        try UnboundContext.set(ctx, "unknown-server-time-limit:", "\(firstWait)")
        try UnboundContext.set(ctx, "infra-keep-probing:", "yes")
    }
}
