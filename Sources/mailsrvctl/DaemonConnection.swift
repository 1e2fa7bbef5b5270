import ArgumentParser
import Foundation
import MailSRVInterface
import Varlink

/// A connection to mailsrvd that turns every failure into a `Failure`: a one-line message
/// and what kind of failure it is, from which each verb's exit code follows.
struct DaemonConnection {
    let client: VarlinkClient
    let path: String

    /// Connects to the socket of `options` (or the default one).
    init(_ options: ClientOptions) throws(Failure) {
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

    /// Over a connection already made to mailsrvd at `path`.
    init(client: VarlinkClient, path: String) {
        self.client = client
        self.path = path
    }

    /// Calls a method (of io.mailsrvd.Discovery, or `org.varlink.service`) and returns its
    /// reply, typed and as sent; an error reply becomes a `Failure`.
    func call<Call: VarlinkMethodCall>(_ call: Call) throws(Failure) -> Answer<Call.Reply> {
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
