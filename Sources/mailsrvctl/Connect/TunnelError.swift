/// Why a tunnel ended without a session, with its sysexits code (CLIENTS.md §1).
enum TunnelError: Error, CustomStringConvertible {
    /// 64: bad usage (a trust store that cannot be read).
    case usage(String)
    /// 68: the address or domain is invalid.
    case noHost(String)
    /// 69: no candidate could be connected.
    case unavailable(String)
    /// 75: the daemon or DNS failed.
    case temporary(String)

    /// A failed call to mailsrvd: the address is bad (68), no server can be used (69),
    /// anything else is mailsrvd's or DNS's (75), a refused parameter too (a Report's host,
    /// or `--client-host`).
    init(_ failure: Failure) {
        switch failure.kind {
        case .invalidAddress: self = .noHost(failure.description)
        case .unavailable: self = .unavailable(failure.description)
        case .invalidParameter, .failed: self = .temporary(failure.description)
        }
    }

    var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .noHost: 68
        case .unavailable: 69
        case .temporary: 75
        }
    }

    var description: String {
        switch self {
        case .usage(let text), .noHost(let text), .unavailable(let text), .temporary(let text): text
        }
    }
}
