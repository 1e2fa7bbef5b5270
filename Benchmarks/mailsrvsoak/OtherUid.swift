import Foundation
import MailSRVInterface
import Varlink

/// What uid 65534 sees while uid 0 floods the daemon.
extension Soak {
    /// Starts cached Lookups of uid 65534 all along the flood, from a copy of this binary
    /// that uid may run (`--latency-probe`); its output is read from `pipe` at the end.
    func startLatencyProbe() throws -> (process: Process, pipe: Pipe) {
        let probeCopy = setup.directory.appendingPathComponent("mailsrvsoak-probe")
        try FileManager.default.copyItem(at: setup.binaries.appendingPathComponent("mailsrvsoak"), to: probeCopy)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", probeCopy.path,
                             "--latency-probe", setup.socketPath, String(max(options.seconds - 2, 1))]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        return (process, pipe)
    }

    /// One Lookup of uid 65534 while uid 0 sits at its limit, through socat (this binary
    /// may sit where that uid cannot execute it): whether it was served, and the reply's start.
    func otherUidServed() throws -> (served: Bool, output: String) {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        probe.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups",
                           "/usr/bin/socat", "-t", "10", "-", "UNIX-CONNECT:\(setup.socketPath)"]
        let pipe = Pipe(), input = Pipe()
        probe.standardOutput = pipe
        probe.standardInput = input
        try probe.run()
        input.fileHandleForWriting.write(Data(Lookups.message("probe")))
        try input.fileHandleForWriting.close()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        probe.waitUntilExit()
        let message = output.split(separator: 0).first.map { Array($0) } ?? []
        let reply = try? VarlinkReply(message: message)
        let served = probe.terminationStatus == 0 && reply?.varlinkError == nil
            && (reply.flatMap { try? DiscoveryInterface.LookupReply(parameters: $0.parameters) })?.domain == "example.net"
        return (served, String(decoding: message, as: UTF8.self).prefix(120).description)
    }
}
