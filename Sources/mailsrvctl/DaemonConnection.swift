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

    /// Calls a method (of io.mailsrvd.Discovery, or `org.varlink.service`) and returns its
    /// reply, typed and as sent; an error reply becomes a `Failure`.
    func call<Call: VarlinkMethodCall>(_ call: Call) throws -> Answer<Call.Reply> {
        let reply: VarlinkReply
        do {
            reply = try client.call(Call.qualifiedMethodName, call.parameters)
        } catch {
            throw Failure.talking("mailsrvd at \(path): \(error)")
        }
        if let error = reply.varlinkError { throw Failure(error) }
        do {
            return Answer(reply: try Call.Reply(parameters: reply.parameters), json: reply.parameters)
        } catch {
            throw Failure.talking("mailsrvd at \(path) sent an unexpected reply to \(Call.qualifiedMethodName): \(error)")
        }
    }
}

/// A reply: typed, and as sent (for `--json`).
struct Answer<Reply> {
    var reply: Reply
    var json: JSONObject
}

/// A failed verb: its message and exit code.
struct Failure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32
    /// The daemon's error, when the failure is one of the interface's.
    var error: DiscoveryInterface.Error?
    /// The parameter the daemon refused, for `InvalidParameter`.
    var invalidParameter: String?

    static func talking(_ message: String) -> Failure { Failure(description: message, exitCode: 1) }

    init(description: String, exitCode: Int32) {
        self.description = description
        self.exitCode = exitCode
    }

    /// The daemon's error reply, in words.
    init(_ error: VarlinkError) {
        let failure: DiscoveryInterface.Failure?
        do {
            failure = try DiscoveryInterface.Failure(error)
        } catch let decoding {
            self.init(description: "mailsrvd answered \(error.name) with unexpected parameters: \(decoding)", exitCode: 1)
            return
        }
        switch failure {
        case .invalidAddress(let error)?: self.init(description: "not an email address or domain: \(error.email)", exitCode: 2)
        case .noService(let error)?: self.init(description: "\(error.domain) offers no \(error.want) service", exitCode: 3)
        case .exhausted(let error)?: self.init(description: "every server of \(error.domain) has failed", exitCode: 3)
        case .resolutionFailed(let error)?:
            self.init(description: "cannot resolve \(error.domain): \(error.reason)", exitCode: 1)
        case .noSuchLease(let error)?: self.init(description: "no such lease: \(error.lease)", exitCode: 1)
        case .permissionDenied?: self.init(description: "permission denied (this needs root)", exitCode: 1)
        case .tooManyRequests?: self.init(description: "too many requests from this user; try again later", exitCode: 1)
        case nil where error.name == VarlinkError.Name.invalidParameter:
            let parameter = error.parameters["parameter"]?.stringValue ?? "?"
            self.init(description: "invalid parameter '\(parameter)'", exitCode: 2)
            invalidParameter = parameter
        case nil:
            self.init(description: "mailsrvd answered \(error.name)", exitCode: 1)
        }
        self.error = DiscoveryInterface.Error(qualifiedName: error.name)
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
