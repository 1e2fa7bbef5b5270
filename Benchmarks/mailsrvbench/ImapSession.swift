import Glibc

/// An IMAP session of a client through a command (the tunnel, or `openssl s_client`):
/// the timings a user feels.
struct ImapSession {
    let child: PipedChild
    private let timeout: UInt64 = 120_000_000_000

    /// Starts `command`; returns the session once the server's greeting came, and the
    /// milliseconds from the start of the command to that greeting.
    static func open(_ command: [String], stderrLog: String) throws(BenchError) -> (ImapSession, Double) {
        let began = monotonicNanoseconds()
        let session = ImapSession(child: try PipedChild(command, stderrLog: stderrLog))
        let deadline = began + session.timeout
        while !(try session.child.line(before: deadline)).hasPrefix("* OK") {}
        return (session, Double(monotonicNanoseconds() - began) / 1e6)
    }

    /// Sends `tag command` and reads to its tagged reply, skipping literals; throws unless
    /// it is OK. Returns the bytes of literals read.
    @discardableResult
    func command(_ tag: String, _ command: String) throws(BenchError) -> Int {
        try child.send("\(tag) \(command)\r\n")
        let deadline = monotonicNanoseconds() + timeout
        var literals = 0
        while true {
            let line = try child.line(before: deadline)
            if line.hasPrefix("\(tag) ") {
                guard line.hasPrefix("\(tag) OK") else { throw .protocolError("\(command): \(line)") }
                return literals
            }
            // `… {N}`: N bytes follow, then the rest of the response.
            if line.hasSuffix("}"), let open = line.lastIndex(of: "{"), let size = Int(line[line.index(after: open)..<line.index(before: line.endIndex)]) {
                try child.skip(size, before: deadline)
                literals += size
            }
        }
    }

    /// Logs out and ends the command; returns its CPU seconds.
    func close() -> Double {
        _ = try? command("z", "LOGOUT")
        return child.finish(within: 30)
    }
}
