import Foundation
import Varlink

/// The mailsrvd under test: the binary next to this one, on the soak's directories.
final class SoakDaemon {
    let process = Process()

    /// Starts it and waits (20 s at most) until its socket answers.
    init(_ setup: SoakSetup) throws {
        process.executableURL = setup.binaries.appendingPathComponent("mailsrvd")
        process.arguments = ["--socket", setup.socketPath, "--log-level", "notice", "--config",
                             setup.directory.appendingPathComponent("mailsrvd.conf").path,
                             "--state-directory", setup.directory.appendingPathComponent("state").path,
                             "--cache-directory", setup.directory.appendingPathComponent("cache").path,
                             "--dns-server", setup.forwarder]
        let log = setup.directory.appendingPathComponent("mailsrvd.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date() + 20
        while Date() < deadline {
            if let client = try? VarlinkClient.connect(to: setup.socketPath, timeout: .seconds(2)) { client.close(); return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw SoakError("mailsrvd did not start; see \(log.path)")
    }

    var pid: Int32 { process.processIdentifier }
    var rssKiB: Int { Sample(pid: pid).rssKiB }
    var fds: Int { Sample(pid: pid).fds }

    /// The daemon's RSS and open descriptors, read from /proc (by any thread).
    struct Sample: Sendable {
        var pid: Int32
        var rssKiB: Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        var fds: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }
    }
}

struct SoakError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
