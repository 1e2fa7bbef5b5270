import Foundation
import TestSupport

/// systemd as PID 1 of new PID, mount, UTS, IPC and cgroup namespaces (SPIKE.md); commands
/// run inside with nsenter. The machine has its own /run, /tmp and /var/tmp (its `directory`
/// stays visible at its path even when the checkout is under /tmp); what else it must not
/// share with the host (binaries, state, a dpkg database) the caller's `prepare` covers with
/// tmpfs or overlay mounts, which vanish with the namespace.
final class SystemdMachine: @unchecked Sendable {
    static let canRun = FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") && getuid() == 0

    let process = Process()
    /// The test's directory under .build; `prepare` may use it (`$MACHINE`), and the machine
    /// sees it at the same path (what `prepare` mounted on it included).
    let directory: URL

    /// - Parameters:
    ///   - prepare: bash run first inside the namespaces, while /run, /tmp and /var/tmp are
    ///     still the host's: copy in what the machine needs (into `$MACHINE`), cover what it
    ///     must not write.
    ///   - units: bash run once /run/systemd/system is the machine's: runtime units, drop-ins.
    ///   - requires: units the machine starts at boot, besides the journal.
    init(prepare: String, units: String = "", requires: [String] = []) throws {
        // Under .build: bash keeps the script open when the machine mounts its own /tmp.
        directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/pid1-\(UUID().uuidString.prefix(8))").standardized
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let wanted = (requires + ["systemd-journald.service"]).joined(separator: " ")
        let script = """
            #!/bin/bash
            set -e
            MACHINE=\(directory.path)
            \(prepare)
            # The machine gets its own /run, /tmp and /var/tmp. $MACHINE (under the checkout,
            # which may be under /tmp) stays at its path: held open here, bound again over
            # the new tmpfs when it covers it.
            exec 9<"$MACHINE"
            cover() {
                mount -t tmpfs tmpfs "$1"
                case "$MACHINE/" in
                    "$1"/*) mkdir -p "$MACHINE"; mount --no-canonicalize --rbind /proc/self/fd/9 "$MACHINE" ;;
                esac
            }
            cover /run
            mkdir -p /run/systemd/system
            \(units)
            # systemd-tmpfiles empties /tmp at "boot": give this machine its own /tmp and
            # /var/tmp so that the host's are not touched, and mask the cleaning units.
            cover /tmp
            cover /var/tmp
            exec 9<&-
            # Units of a real boot that would write to the host's files: not here.
            for unit in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \\
                        systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service \\
                        systemd-sysusers.service systemd-machine-id-commit.service \\
                        systemd-random-seed.service systemd-update-utmp.service \\
                        ldconfig.service systemd-hwdb-update.service systemd-firstboot.service \\
                        systemd-journal-catalog-update.service systemd-update-done.service; do
                ln -s /dev/null /run/systemd/system/$unit
            done
            printf '[Unit]\\nDefaultDependencies=no\\nRequires=\(wanted)\\nAfter=\(wanted)\\n' \\
                > /run/systemd/system/machine-test.target
            exec /lib/systemd/systemd --system --unit=machine-test.target
            """
        let file = directory.appendingPathComponent("pid1.sh")
        try script.write(to: file, atomically: true, encoding: .utf8)
        chmod(file.path, 0o755)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--pid", "--fork", "--kill-child", "--mount", "--uts", "--ipc", "--cgroup",
                             "--propagation", "private", "--mount-proc", file.path]
        let logFile = directory.appendingPathComponent("pid1.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.runWithSignalsUnblocked()
    }

    /// bash for `prepare`: each directory becomes an overlay whose upper layer is under
    /// $MACHINE (which `prepare` must have made a tmpfs), so that the machine's writes there
    /// stay in the namespace.
    static func overlays(_ directories: [String]) -> String {
        """
        for dir in \(directories.joined(separator: " ")); do
            mkdir -p $MACHINE/$dir/upper $MACHINE/$dir/work
            mount -t overlay overlay -o lowerdir=/$dir,upperdir=$MACHINE/$dir/upper,workdir=$MACHINE/$dir/work /$dir
        done
        """
    }

    /// What the script and systemd printed (on the machine's console).
    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("pid1.log"), encoding: .utf8)) ?? ""
    }

    /// The PID (in the host's namespace) of systemd, the child of unshare.
    func systemdPID() throws -> String {
        guard let pid = process.firstChildPID() else { throw DaemonFailure("systemd has not started") }
        return String(pid)
    }

    /// Runs a command inside the machine, with a system PATH.
    func run(_ command: [String]) async throws -> ChildProcess.Finished {
        try await ChildProcess.run("/usr/bin/nsenter", ["-t", try systemdPID(), "-a", "/usr/bin/env",
                                                        "PATH=/usr/sbin:/usr/bin:/sbin:/bin"] + command)
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

    /// Kills systemd (and with it the whole PID namespace and its mounts), then unshare.
    func shutDown() async {
        if let pid = try? systemdPID(), let number = Int32(pid) { kill(number, SIGKILL) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = await process.exit(within: .seconds(10))
        try? FileManager.default.removeItem(at: directory)
    }
}
