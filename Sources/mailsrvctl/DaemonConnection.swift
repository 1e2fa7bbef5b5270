import ArgumentParser
import Foundation
import MailSRVInterface
import Varlink

/// A connection to mailsrvd that turns every failure into a one-line message on stderr
/// and the exit code of DESIGN.md §7.
struct DaemonConnection {
    let client: VarlinkClient
    let path: String

    init(_ options: ClientOptions) throws {
        path = options.socket ?? SocketLocation.clientDefault(environment: ProcessInfo.processInfo.environment)
        do {
            client = try VarlinkClient.connect(to: path, timeout: .seconds(30))
        } catch let error where error.isServerNotRunning {
            throw Failure.talking("mailsrvd is not running (\(error)). Start it with 'mailsrvd' "
                + "(or 'systemctl start mailsrvd.socket'), or point MAILSRVD_SOCKET at its socket.")
        } catch {
            throw Failure.talking("cannot connect to mailsrvd: \(error)")
        }
    }

    /// Calls `method` of io.mailsrvd.Discovery (or a fully qualified method) and returns
    /// the reply's parameters; an error reply becomes a `Failure`.
    func call(_ method: DiscoveryInterface.Method, _ parameters: JSONObject = [:]) throws -> JSONObject {
        try call(qualified: method.qualifiedName, parameters)
    }

    func call(qualified method: String, _ parameters: JSONObject = [:]) throws -> JSONObject {
        let reply: VarlinkReply
        do {
            reply = try client.call(method, parameters)
        } catch {
            throw Failure.talking("mailsrvd at \(path): \(error)")
        }
        if let error = reply.varlinkError { throw Failure(error) }
        return reply.parameters
    }
}

/// A failed verb: its message and exit code.
struct Failure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    static func talking(_ message: String) -> Failure { Failure(description: message, exitCode: 1) }

    init(description: String, exitCode: Int32) {
        self.description = description
        self.exitCode = exitCode
    }

    /// The daemon's error reply, in words.
    init(_ error: VarlinkError) {
        let text = { (name: String) in error.parameters[name]?.stringValue ?? "?" }
        switch DiscoveryInterface.Error(qualifiedName: error.name) {
        case .invalidAddress?: self.init(description: "not an email address or domain: \(text("email"))", exitCode: 2)
        case .noService?: self.init(description: "\(text("domain")) offers no \(text("want")) service", exitCode: 3)
        case .exhausted?: self.init(description: "every server of \(text("domain")) has failed", exitCode: 3)
        case .resolutionFailed?:
            self.init(description: "cannot resolve \(text("domain")): \(text("reason"))", exitCode: 1)
        case .noSuchLease?: self.init(description: "no such lease: \(text("lease"))", exitCode: 1)
        case .permissionDenied?: self.init(description: "permission denied (this needs root)", exitCode: 1)
        case .tooManyRequests?: self.init(description: "too many requests from this user; try again later", exitCode: 1)
        case nil where error.name == VarlinkError.Name.invalidParameter:
            self.init(description: "invalid parameter '\(text("parameter"))'", exitCode: 2)
        case nil:
            self.init(description: "mailsrvd answered \(error.name)", exitCode: 1)
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, printing a `Failure` on stderr and exiting with its code.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("mailsrvctl: \(failure)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
    }
}

/// Prints the reply as is, for `--json`.
func printJSON(_ parameters: JSONObject) {
    print(JSONValue.object(parameters).serialized())
}
