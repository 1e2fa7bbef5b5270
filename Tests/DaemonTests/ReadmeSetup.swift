import Foundation

/// A client set-up of README.md as written there, made to run in a `TunnelWorld`: the code
/// block after the line that starts with `**CLIENT**`, with the README's `example.net` made
/// the world's domain and each `mailsrvctl connect` the built binary with the world's CA
/// and socket; `replacing` changes what a user would put in (a password command). A test
/// that runs it runs what a user copies.
extension TunnelWorld {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../README.md").standardized.path

    func readmeSetup(_ client: String, replacing: [String: String] = [:]) throws -> String {
        let lines = try String(contentsOfFile: Self.readme, encoding: .utf8).components(separatedBy: "\n")
        guard let title = lines.firstIndex(where: { $0.hasPrefix("**\(client)**") }),
              let open = lines[title...].firstIndex(where: { $0.hasPrefix("```") }),
              let close = lines[(open + 1)...].firstIndex(where: { $0.hasPrefix("```") }) else {
            throw DaemonFailure("README.md has no set-up for \(client)")
        }
        let connect = "\(Self.mailsrvctl) connect --ca-file \(ca.certificateFile) --socket \(daemon.socket) "
        var text = lines[(open + 1)..<close].joined(separator: "\n")
        for (old, new) in replacing {
            guard text.contains(old) else { throw DaemonFailure("README.md's \(client) set-up has no \(old)") }
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text.replacingOccurrences(of: "example.net", with: domain)
            .replacingOccurrences(of: "mailsrvctl connect ", with: connect) + "\n"
    }
}
