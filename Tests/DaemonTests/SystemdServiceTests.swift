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
    static let canRun = FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") && getuid() == 0

    /// systemd as PID 1 of a new namespace; commands run inside with nsenter.
    final class Machine: @unchecked Sendable {
        let process = Process()
        let directory: URL

        init(knot: KnotServer) throws {
            // Under .build: bash keeps the script open when the machine mounts its own /tmp.
            directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../.build/pid1-\(UUID().uuidString.prefix(8))").standardized
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let units = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../systemd").standardized.path
            let binaries = DaemonProcess.binaries.path
            let script = """
                #!/bin/bash
                set -e
                # First what comes from the checkout, which may itself be under /tmp: the
                # binaries (on a tmpfs over /usr/local/bin) and the units (into a new /run).
                mount -t tmpfs tmpfs /usr/local/bin
                cp \(binaries)/mailsrvd \(binaries)/mailsrvctl /usr/local/bin/
                mount -t tmpfs tmpfs /run
                mkdir -p /run/systemd/system/mailsrvd.service.d
                cp \(units)/mailsrvd.service \(units)/mailsrvd.socket /run/systemd/system/
                # systemd-tmpfiles empties /tmp at "boot": give this machine its own /tmp and
                # /var/tmp so that the host's are not touched, and mask the cleaning units.
                mount -t tmpfs tmpfs /tmp
                mount -t tmpfs tmpfs /var/tmp
                # The service's state, cache and journal stay inside too.
                mount -t tmpfs tmpfs /var/lib
                mount -t tmpfs tmpfs /var/cache
                mount -t tmpfs tmpfs /var/log
                # Units of a real boot that would write to the host's files: not here.
                for unit in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
                            systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service \
                            systemd-sysusers.service systemd-machine-id-commit.service \
                            systemd-random-seed.service systemd-update-utmp.service \
                            ldconfig.service systemd-hwdb-update.service systemd-firstboot.service \
                            systemd-journal-catalog-update.service systemd-update-done.service; do
                    ln -s /dev/null /run/systemd/system/$unit
                done
                printf '[Service]\\nExecStart=\\nExecStart=/usr/local/bin/mailsrvd --log-level debug --dns-server \(knot.forwarder)\\n' \\
                    > /run/systemd/system/mailsrvd.service.d/test.conf
                printf '[Unit]\\nDefaultDependencies=no\\nRequires=mailsrvd.socket systemd-journald.service\\nAfter=mailsrvd.socket\\n' \\
                    > /run/systemd/system/mailsrvd-test.target
                exec /lib/systemd/systemd --system --unit=mailsrvd-test.target
                """
            let file = directory.appendingPathComponent("pid1.sh")
            try script.write(to: file, atomically: true, encoding: .utf8)
            chmod(file.path, 0o755)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["--pid", "--fork", "--kill-child", "--mount", "--uts", "--ipc", "--cgroup",
                                 "--propagation", "private", "--mount-proc", file.path]
            let log = try FileHandle(forWritingTo: {
                FileManager.default.createFile(atPath: directory.appendingPathComponent("pid1.log").path, contents: nil)
                return directory.appendingPathComponent("pid1.log")
            }())
            process.standardOutput = log
            process.standardError = log
            try process.run()
        }

        /// The PID (in the host's namespace) of systemd, the child of unshare.
        func systemdPID() throws -> String {
            guard let pid = process.firstChildPID() else { throw DaemonFailure("systemd has not started") }
            return String(pid)
        }

        /// Runs a command inside the machine.
        func run(_ command: [String]) async throws -> ChildProcess.Finished {
            try await ChildProcess.run("/usr/bin/nsenter", ["-t", try systemdPID(), "-a"] + command)
        }

        /// Waits until `systemctl is-active unit` says `state`.
        func wait(_ unit: String, _ state: String, seconds: Int = 30) async throws -> Bool {
            for _ in 0..<(seconds * 10) {
                if let result = try? await run(["systemctl", "is-active", unit]),
                   result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == state { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }

        /// Kills systemd (and with it the whole PID namespace), then unshare.
        func shutDown() async {
            if let pid = try? systemdPID(), let number = Int32(pid) { kill(number, SIGKILL) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            _ = await process.exit(within: .seconds(10))
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test(.enabled(if: canRun, "needs root, unshare and systemd"))
    func theShippedUnitsStartOnTheFirstClientReloadAndStopCleanly() async throws {
        let knot = try await KnotServer.start(signing: false)
        let machine = try Machine(knot: knot)
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
