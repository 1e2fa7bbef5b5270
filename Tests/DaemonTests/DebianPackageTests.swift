import Foundation
import KnotHarness
import Testing
import TestSupport

/// The Debian package (`make deb`) installed for real under systemd as PID 1: `dpkg -i`
/// enables and starts the socket, the first client starts the service, a lookup is answered
/// from Knot; installing the same package again, then a next version of it (the same files,
/// a higher version), upgrades it in place: the running service is restarted, still answers
/// and the changed conffile is kept; `dpkg -r` stops it and keeps the changed conffile, and
/// `dpkg -P` leaves nothing of it.
///
/// The machine's /etc, /usr and /var are overlays whose upper layers are a tmpfs of the
/// namespace, so that dpkg, systemd and the service write only there and the host is
/// untouched; the test checks that too. Run by `make deb-check`, which builds the package
/// and names it in MAILSRVD_DEB; skipped otherwise.
@Suite(.serialized) struct DebianPackageTests {
    static let package = ProcessInfo.processInfo.environment["MAILSRVD_DEB"]

    /// Paths the package installs, which must not appear on the host.
    static let hostPaths = ["/usr/bin/mailsrvd", "/usr/bin/mailsrvctl", "/lib/systemd/system/mailsrvd.socket",
                            "/lib/systemd/system/mailsrvd.service", "/etc/mailsrvd/mailsrvd.conf",
                            "/var/lib/private/mailsrvd", "/var/cache/private/mailsrvd"]

    static func machine(package: String) throws -> SystemdMachine {
        try SystemdMachine(prepare: """
            mount -t tmpfs tmpfs $MACHINE
            cp \(package) $MACHINE/mailsrvd.deb
            # The next version: the same package, its version followed by +1 (uncompressed:
            # xz takes minutes on a loaded machine).
            dpkg-deb -R $MACHINE/mailsrvd.deb $MACHINE/next
            sed -i 's/^Version: .*/&+1/' $MACHINE/next/DEBIAN/control
            dpkg-deb -Znone -b $MACHINE/next $MACHINE/mailsrvd-next.deb > /dev/null
            rm -r $MACHINE/next
            \(SystemdMachine.overlays(["etc", "usr", "var"]))
            # Docker's "start no services" policy: this machine boots like a real one.
            rm -f /usr/sbin/policy-rc.d
            # A clean system: not what a mailsrvd run by hand as root left on the host (in an
            # overlay, systemd cannot move such a /var/lib/mailsrvd to /var/lib/private).
            rm -rf /var/lib/mailsrvd /var/cache/mailsrvd /var/lib/private/mailsrvd /var/cache/private/mailsrvd
            """)
    }

    /// Every path the machine wrote to /etc, /usr and /var that names the package (not the
    /// whiteouts that record a removal of what the host has).
    func traces(_ machine: SystemdMachine) async throws -> [String] {
        let found = try await machine.run(["find", "\(machine.directory.path)/etc/upper", "\(machine.directory.path)/usr/upper",
                                           "\(machine.directory.path)/var/upper", "-name", "*mailsrvd*", "!", "-type", "c"])
        return found.stdout.split(separator: "\n").map(String.init)
    }

    /// Checks that `mailsrvctl lookup` gets Knot's answer and the service is then active;
    /// returns its MainPID.
    func servesFromKnot(_ machine: SystemdMachine) async throws -> String {
        let lookup = try await machine.run(["mailsrvctl", "lookup", "alice@example.net", "--json"])
        let journal = try await machine.run(["journalctl", "--no-pager", "-n", "40", "-u", "mailsrvd.service"]).stdout
        #expect(lookup.status == 0, "\(lookup.stderr)\(journal)")
        #expect(lookup.stdout.contains("\"domain\":\"example.net\""))
        #expect(lookup.stdout.contains("\"host\":\"imap1.example.net\""))
        #expect(try await machine.wait("mailsrvd.service", "active"), "\(journal)")
        let pid = try await machine.run(["systemctl", "show", "-P", "MainPID", "mailsrvd.service"])
        return pid.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: SystemdMachine.canRun && package != nil, "needs root, systemd and MAILSRVD_DEB (make deb-check)"))
    func installServeUpgradeRemoveAndPurge() async throws {
        let package = try #require(Self.package)
        let hostBefore = Self.hostPaths.filter { FileManager.default.fileExists(atPath: $0) }
        let knot = try await KnotServer.start(signing: false)
        let machine = try Self.machine(package: package)
        defer { Task { await machine.shutDown() } }
        // Booted (after `prepare` has copied and repacked the package: a generous deadline).
        #expect(try await machine.wait("systemd-journald.service", "active", seconds: 180), "\(machine.log)")
        #expect(try await traces(machine).isEmpty)

        // Installed: the socket is enabled and listening; the service waits for a client.
        let install = try await machine.run(["dpkg", "-i", "\(machine.directory.path)/mailsrvd.deb"])
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        #expect(try await machine.wait("mailsrvd.socket", "active"))
        #expect(try await machine.run(["systemctl", "is-enabled", "mailsrvd.socket"]).stdout.hasPrefix("enabled"))
        #expect(try await machine.run(["systemctl", "is-active", "mailsrvd.service"]).stdout.hasPrefix("inactive"))
        // Thunderbird's autoconfig is there, for the administrator to enable.
        #expect(try await machine.run(["systemctl", "is-enabled", "mailsrvd-autoconfig.socket"]).stdout.hasPrefix("disabled"))

        // The administrator points it at the test's DNS server, in the conffile.
        let changed = try await machine.run(["sh", "-c", "echo 'DNS=\(knot.forwarder)' >> /etc/mailsrvd/mailsrvd.conf"])
        #expect(changed.status == 0)

        // The first client starts the service through the socket and gets Knot's answer.
        let first = try await servesFromKnot(machine)
        let user = try await machine.run(["systemctl", "show", "-P", "User", "mailsrvd.service"])
        #expect(user.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "mailsrvd")
        let manual = try await machine.run(["man", "-w", "mailsrvd.conf"])
        #expect(manual.stdout.contains("/usr/share/man/man5/mailsrvd.conf.5.gz"))

        // Upgraded while the service runs: installed again over itself, then the next
        // version. Each time the conffile stays as the administrator changed it, and the
        // service, restarted, answers from Knot again (through that conffile's DNS=).
        let version = try await machine.run(["dpkg-query", "-W", "-f=${Version}", "mailsrvd"]).stdout
        var running = first
        for (deb, expected) in [("mailsrvd.deb", version), ("mailsrvd-next.deb", version + "+1")] {
            let upgrade = try await machine.run(["dpkg", "-i", "\(machine.directory.path)/\(deb)"])
            #expect(upgrade.status == 0, "\(upgrade.stdout)\(upgrade.stderr)")
            let installed = try await machine.run(["dpkg-query", "-W", "-f=${Version} ${Status}", "mailsrvd"])
            #expect(installed.stdout == "\(expected) install ok installed", "\(deb)")
            #expect(try await machine.wait("mailsrvd.socket", "active"))
            #expect(try await machine.wait("mailsrvd.service", "active"), "\(deb): the running service is restarted")
            let kept = try await machine.run(["tail", "-n", "1", "/etc/mailsrvd/mailsrvd.conf"])
            #expect(kept.stdout == "DNS=\(knot.forwarder)\n", "\(deb) kept the changed conffile")
            let pid = try await servesFromKnot(machine)
            #expect(pid != running, "\(deb): the service runs anew")
            running = pid
        }
        // Pins and cache are written on stop, into the dynamic user's directories.
        #expect(try await machine.run(["systemctl", "stop", "mailsrvd.service"]).status == 0)
        #expect(try await machine.run(["test", "-d", "/var/lib/private/mailsrvd"]).status == 0)
        #expect(try await machine.run(["test", "-d", "/var/cache/private/mailsrvd"]).status == 0)

        // Removed: stopped and gone, but the changed conffile is kept.
        _ = try await machine.run(["mailsrvctl", "status"])  // the service runs again
        #expect(try await machine.wait("mailsrvd.service", "active"))
        let remove = try await machine.run(["dpkg", "-r", "mailsrvd"])
        #expect(remove.status == 0, "\(remove.stdout)\(remove.stderr)")
        #expect(try await machine.wait("mailsrvd.service", "inactive"))
        let processes = try await machine.run(["pgrep", "-x", "mailsrvd"])
        #expect(processes.stdout.isEmpty, "no daemon left: \(processes.stdout)")
        #expect(try await machine.run(["test", "-e", "/usr/bin/mailsrvd"]).status != 0)
        #expect(try await machine.run(["test", "-e", "/lib/systemd/system/mailsrvd.socket"]).status != 0)
        #expect(try await machine.run(["test", "-e", "/run/mailsrvd/io.mailsrvd.Discovery"]).status != 0)
        let kept = try await machine.run(["tail", "-n", "1", "/etc/mailsrvd/mailsrvd.conf"])
        #expect(kept.stdout == "DNS=\(knot.forwarder)\n")

        // Purged: nothing that names the package is left in /etc, /usr or /var.
        let purge = try await machine.run(["dpkg", "-P", "mailsrvd"])
        #expect(purge.status == 0, "\(purge.stdout)\(purge.stderr)")
        let left = try await traces(machine)
        #expect(left.isEmpty, "left after purge: \(left)")
        #expect(try await machine.run(["dpkg", "-s", "mailsrvd"]).status != 0)

        await machine.shutDown()
        await knot.stop()
        // The host saw none of it.
        #expect(Self.hostPaths.filter { FileManager.default.fileExists(atPath: $0) } == hostBefore)
    }
}
