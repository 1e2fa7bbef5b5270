import Foundation
import Testing
import TestSupport

/// `mailsrvctl connect` ends with the sysexits code CLIENTS.md §1 gives each failure, one
/// line on stderr that says why, and nothing on stdout.
@Suite(.timeLimit(.minutes(2)))
struct ConnectExitCodeTests {
    private func connect(_ arguments: [String]) async throws -> ChildProcess.Finished {
        try await ChildProcess.run(TunnelWorld.mailsrvctl, ["connect"] + arguments, input: Data("A1 LOGOUT\r\n".utf8),
                                   timeout: .seconds(60))
    }

    private func expectOneLine(_ run: ChildProcess.Finished, status: Int32, saying text: String) {
        #expect(run.status == status, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains(text), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }

    @Test func badUsageIs64() async throws {
        let noAddress = try await connect([])
        #expect(noAddress.status == 64)
        expectOneLine(try await connect(["a@example.net", "--protocol", "smtp"]), status: 64,
                      saying: "--protocol must be imap, pop3 or submission")
        expectOneLine(try await connect(["a@example.net", "--want", "pop3"]), status: 64,
                      saying: "--want pop3 is not a service of imap")
        expectOneLine(try await connect(["a@example.net", "--ca-file", "/nonexistent/ca.pem", "--socket", "/nonexistent/s"]),
                      status: 64, saying: "cannot load the trust store /nonexistent/ca.pem")
    }

    @Test func daemonUnreachableIs75() async throws {
        expectOneLine(try await connect(["a@example.net", "--socket", "/nonexistent/socket"]), status: 75,
                      saying: "cannot reach mailsrvd at /nonexistent/socket")
    }

    @Test func invalidAddressIs68AndNoServiceIs69() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        expectOneLine(try await connect(["alice@-bad-.example.net", "--socket", daemon.socket]), status: 68,
                      saying: "not an email address or domain")
        expectOneLine(try await connect(["alice@nothing-here.example.net", "--socket", daemon.socket]), status: 69,
                      saying: "offers no imap-group service")
        #expect(await daemon.stop() == 0)
    }
}
