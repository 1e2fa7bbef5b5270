import Foundation
import KnotHarness
import Testing
import TestSupport

/// The shipped units under a real systemd as PID 1, in new PID, mount, UTS, IPC and cgroup
/// namespaces (SPIKE.md): socket activation on the first client, `active (running)` with
/// the STATUS text, `systemctl reload`, a clean `systemctl stop`, structured journal entries.
///
/// The binary is installed where the unit expects it (`/usr/local/bin`, a tmpfs inside the
/// private mount namespace, so the host is untouched); the units are `systemd/` as shipped,
/// with one drop-in that points the daemon at the test's Knot server.
@Suite(.serialized) struct SystemdServiceTests {
    /// The machine: the binaries on a tmpfs over /usr/local/bin, the shipped units in its
    /// /run, with a drop-in for the test's Knot server; /etc an overlay; state, cache and
    /// journal on tmpfs.
    static func machine(knot: KnotServer) throws -> SystemdMachine {
        let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../systemd").standardized.path
        let binaries = DaemonProcess.binaries.path
        return try SystemdMachine(prepare: """
            mount -t tmpfs tmpfs /usr/local/bin
            cp \(binaries)/mailsrvd \(binaries)/mailsrvctl /usr/local/bin/
            mount -t tmpfs tmpfs $MACHINE
            mkdir -p $MACHINE/units
            cp \(units)/mailsrvd.service \(units)/mailsrvd.socket $MACHINE/units/
            # The unit's ConfigurationDirectory= makes /etc/mailsrvd.
            \(SystemdMachine.overlays(["etc"]))
            mount -t tmpfs tmpfs /var/lib
            mount -t tmpfs tmpfs /var/cache
            mount -t tmpfs tmpfs /var/log
            """, units: """
            cp $MACHINE/units/* /run/systemd/system/
            mkdir -p /run/systemd/system/mailsrvd.service.d
            printf '[Service]\\nExecStart=\\nExecStart=/usr/local/bin/mailsrvd --log-level debug --dns-server \(knot.forwarder)\\n' \\
                > /run/systemd/system/mailsrvd.service.d/test.conf
            """, requires: ["mailsrvd.socket"])
    }

    @Test(.enabled(if: SystemdMachine.canRun, "needs root, unshare and systemd"))
    func theShippedUnitsStartOnTheFirstClientReloadAndStopCleanly() async throws {
        let knot = try await KnotServer.start(signing: false)
        let machine = try Self.machine(knot: knot)
        defer { Task { await machine.shutDown() } }

        #expect(try await machine.wait("mailsrvd.socket", "active"))
        #expect(try await machine.run(["systemctl", "is-active", "mailsrvd.service"]).stdout.contains("inactive"),
                "nothing started before the first client")

        let lookup = try await machine.run(["/usr/local/bin/mailsrvctl", "lookup", "alice@example.net", "--json"])
        #expect(lookup.status == 0, "\(lookup.stderr)")
        #expect(lookup.stdout.contains("\"domain\":\"example.net\""))
        #expect(try await machine.wait("mailsrvd.service", "active"))
        let status = try await machine.run(["systemctl", "status", "--no-pager", "mailsrvd.service"])
        #expect(status.stdout.contains("active (running)"))
        #expect(status.stdout.contains("Status: \"Serving"))
        let user = try await machine.run(["systemctl", "show", "-P", "User", "mailsrvd.service"])
        #expect(user.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "mailsrvd")

        let reload = try await machine.run(["systemctl", "reload", "mailsrvd.service"])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(try await machine.wait("mailsrvd.service", "active"))
        let again = try await machine.run(["/usr/local/bin/mailsrvctl", "lookup", "alice@example.net", "--json"])
        #expect(again.stdout.contains("\"source\":\"cache\""), "the reload kept the cache")

        let journal = try await machine.run(["journalctl", "--no-pager", "-u", "mailsrvd.service", "-o", "json"])
        let entries = journal.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let lookupEntry = entries.first { $0["MESSAGE"] as? String == "lookup" }
        #expect(lookupEntry?["DOMAIN"] as? String == "example.net")
        #expect(lookupEntry?["SYSLOG_IDENTIFIER"] as? String == "mailsrvd")
        #expect(lookupEntry?["PRIORITY"] as? String == "7", "one entry per Lookup is debug level")
        #expect(!journal.stdout.contains("alice"), "no local part in the journal")

        let stop = try await machine.run(["systemctl", "stop", "mailsrvd.service"])
        #expect(stop.status == 0)
        #expect(try await machine.wait("mailsrvd.service", "inactive"))
        let result = try await machine.run(["systemctl", "show", "-P", "Result", "mailsrvd.service"])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "success")
        let stopped = try await machine.run(["journalctl", "--no-pager", "-u", "mailsrvd.service", "-o", "cat"])
        #expect(stopped.stdout.contains("stopped"))
        await machine.shutDown()
        await knot.stop()
    }
}
