import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// `mailsrvctl trust`, `untrust` and `trusted` against the real daemon (CLIENTS.md §2,
/// DESIGN.md §7): output, `--json`, exit codes, per uid, across a restart, the limit.
@Suite(.timeLimit(.minutes(2))) struct TrustCommandTests {
    @Test func trustUntrustAndTrustedShowAndChangeTheUsersConfirmations() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let empty = try await mailsrvctl(["trusted"], socket: daemon.socket)
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout == "no trusted servers\n")

        let trust = try await mailsrvctl(["trust", "Bücher.Example.NET", "imap.Bücher.example.net."], socket: daemon.socket)
        #expect(trust.status == 0, "\(trust.stderr)")
        #expect(trust.stdout == "trusting imap.xn--bcher-kva.example.net as a mail server of xn--bcher-kva.example.net\n")
        let again = try await mailsrvctl(["trust", "xn--bcher-kva.example.net", "imap.xn--bcher-kva.example.net"], socket: daemon.socket)
        #expect(again.status == 0)
        #expect(again.stdout.contains("was already trusted"))
        let second = try await mailsrvctl(["trust", "example.net", "imap2.example.net", "--json"], socket: daemon.socket)
        #expect(second.status == 0)
        #expect(try JSONValue(parsing: Array(second.stdout.utf8)) == ["domain": "example.net", "host": "imap2.example.net", "added": true])

        let table = try await mailsrvctl(["trusted"], socket: daemon.socket)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout == """
            DOMAIN                     HOST
            example.net                imap2.example.net
            xn--bcher-kva.example.net  imap.xn--bcher-kva.example.net

            """)
        let json = try await mailsrvctl(["trusted", "--json"], socket: daemon.socket)
        await #expect(try JSONValue(parsing: Array(json.stdout.utf8)) == .object(try daemon.call(.listTrusted).parameters))
        await #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net", "imap2.example.net"])

        let untrust = try await mailsrvctl(["untrust", "example.net", "imap2.example.net"], socket: daemon.socket)
        #expect(untrust.status == 0, "\(untrust.stderr)")
        #expect(untrust.stdout == "no longer trusting imap2.example.net as a mail server of example.net\n")
        let notThere = try await mailsrvctl(["untrust", "example.net", "imap2.example.net"], socket: daemon.socket)
        #expect(notThere.status == 0)
        #expect(notThere.stdout == "imap2.example.net was not trusted as a mail server of example.net\n")
        await #expect(try daemon.call(.lookup, ["email": "a@example.net"])["verifyNames"] == ["example.net"])
        await daemon.stop()
    }

    @Test func badNamesAndBadUsageAreExitTwoAndNoDaemonIsExitOne() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let badHost = try await mailsrvctl(["trust", "example.net", "imap example.net"], socket: daemon.socket)
        #expect(badHost.status == 2)
        #expect(badHost.stderr == "mailsrvctl: not a host name: 'imap example.net'\n")
        let badDomain = try await mailsrvctl(["untrust", "exa..mple.net", "imap.example.net"], socket: daemon.socket)
        #expect(badDomain.status == 2)
        #expect(badDomain.stderr == "mailsrvctl: not a domain name: 'exa..mple.net'\n")
        let missing = try await mailsrvctl(["trust", "example.net"], socket: daemon.socket)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("HOST") || missing.stderr.contains("host"))
        await #expect(try daemon.call(.listTrusted)["trusted"] == [])
        await daemon.stop()
        let noDaemon = try await mailsrvctl(["trusted"], socket: daemon.socket)
        #expect(noDaemon.status == 1)
        #expect(noDaemon.stderr.contains("mailsrvd is not running"))
    }

    @Test func aConfirmationSurvivesARestart() async throws {
        let knot = try await SharedKnot.server()
        let first = try await DaemonProcess(dnsServer: knot.forwarder)
        #expect(try await mailsrvctl(["trust", "example.net", "imap2.example.net"], socket: first.socket).status == 0)
        #expect(await first.stop() == 0)
        let second = try await DaemonProcess(dnsServer: knot.forwarder, directory: first.directory)
        let listed = try await mailsrvctl(["trusted"], socket: second.socket)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").dropFirst() == ["example.net  imap2.example.net"])
        await second.stop()
    }

    @Test func anotherUserNeitherSeesNorRemovesItAndHasItsOwn() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        #expect(try await mailsrvctl(["trust", "example.net", "imap2.example.net"], socket: daemon.socket).status == 0)
        let nobody = try NobodysMailsrvctl(in: daemon.directory)
        let seen = try await nobody.run(["trusted"], socket: daemon.socket)
        #expect(seen.status == 0, "\(seen.stderr)")
        #expect(seen.stdout == "no trusted servers\n")
        let removed = try await nobody.run(["untrust", "example.net", "imap2.example.net"], socket: daemon.socket)
        #expect(removed.stdout == "imap2.example.net was not trusted as a mail server of example.net\n")
        let own = try await nobody.run(["trust", "example.net", "imap1.example.net"], socket: daemon.socket)
        #expect(own.status == 0, "\(own.stderr)")
        let nobodys = try await nobody.run(["trusted", "--json"], socket: daemon.socket)
        #expect(try JSONValue(parsing: Array(nobodys.stdout.utf8))["trusted"] == [["domain": "example.net", "host": "imap1.example.net"]])
        let roots = try await mailsrvctl(["trusted", "--json"], socket: daemon.socket)
        #expect(try JSONValue(parsing: Array(roots.stdout.utf8))["trusted"] == [["domain": "example.net", "host": "imap2.example.net"]])
        await daemon.stop()
    }

    @Test func pastTheLimitTrustSaysHowToMakeRoom() async throws {
        let daemon = try await DaemonProcess(dnsServer: try await SharedKnot.server().forwarder)
        let client = try await daemon.connect()
        for index in 0..<256 {
            let reply = try await client.call(DiscoveryInterface.Method.trust.qualifiedName,
                                        ["domain": "example.net", "host": .string("m\(index).example.net")])
            try #require(reply["added"] == true, "\(reply)")
        }
        let full = try await mailsrvctl(["trust", "example.net", "imap2.example.net"], socket: daemon.socket)
        #expect(full.status == 1)
        #expect(full.stderr.contains("mailsrvctl untrust DOMAIN HOST"))
        let listed = try await mailsrvctl(["trusted"], socket: daemon.socket)
        #expect(listed.stdout.split(separator: "\n").count == 257)
        #expect(try await mailsrvctl(["untrust", "example.net", "m0.example.net"], socket: daemon.socket).status == 0)
        #expect(try await mailsrvctl(["trust", "example.net", "imap2.example.net"], socket: daemon.socket).status == 0)
        await daemon.stop()
    }
}

/// `mailsrvctl` run as user `nobody` (uid 65534) through setpriv: a copy of the binary in a
/// directory every user may enter (the build directory may not be).
struct NobodysMailsrvctl {
    let binary: URL

    init(in directory: URL) throws {
        binary = directory.appendingPathComponent("mailsrvctl")
        try? FileManager.default.removeItem(at: binary)
        try FileManager.default.copyItem(at: DaemonProcess.binaries.appendingPathComponent("mailsrvctl"), to: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
    }

    func run(_ arguments: [String], socket: String) async throws -> ChildProcess.Finished {
        try await ChildProcess.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "-i", "MAILSRVD_SOCKET=\(socket)",
            binary.path,
        ] + arguments)
    }
}
