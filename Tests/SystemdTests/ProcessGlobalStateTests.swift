import Foundation
import Testing
import TestSupport
@testable import Systemd
#if canImport(Glibc)
import Glibc
#endif

/// Everything that changes process-wide state (environment variables, fds 3 and 4) or
/// spawns processes (which copy the environment) runs here, one test at a time: setenv
/// racing getenv or posix_spawn in another thread is undefined.
@Suite(.serialized)
struct ProcessGlobalState {

    // MARK: sd_notify

    @Suite struct Notifier {
        /// A datagram socket playing systemd's notify socket; NOTIFY_SOCKET points at it.
        func withNotifySocket(_ body: (SystemdNotifier, Int32) throws -> Void) throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let path = directory.path + "/notify"
            let fd = try boundUnixSocket(path, type: Int32(SOCK_DGRAM.rawValue))
            defer { close(fd) }
            try withEnvironment(["NOTIFY_SOCKET": path]) {
                try body(SystemdNotifier(), fd)
            }
        }

        @Test func readyWithStatusIsOneDatagram() throws {
            try withNotifySocket { notifier, fd in
                #expect(notifier.isActive)
                #expect(notifier.ready(status: "serving: 3 names cached, 2 leases, 1 client"))
                #expect(receiveDatagram(fd) == "READY=1\nSTATUS=serving: 3 names cached, 2 leases, 1 client")
                #expect(notifier.ready())
                #expect(receiveDatagram(fd) == "READY=1")
            }
        }

        @Test func statusStopsAtNewlines() throws {
            try withNotifySocket { notifier, fd in
                #expect(notifier.status("10 names\nREADY=1"))
                #expect(receiveDatagram(fd) == "STATUS=10 names READY=1")
            }
        }

        @Test func reloadingCarriesTheMonotonicClock() throws {
            try withNotifySocket { notifier, fd in
                let before = SystemdNotifier.monotonicMicroseconds()
                #expect(notifier.reloading())
                let after = SystemdNotifier.monotonicMicroseconds()
                let datagram = try #require(receiveDatagram(fd))
                let lines = datagram.split(separator: "\n").map(String.init)
                #expect(lines.count == 2)
                #expect(lines.first == "RELOADING=1")
                let prefix = "MONOTONIC_USEC="
                let value = try #require(lines.last.flatMap { $0.hasPrefix(prefix) ? UInt64($0.dropFirst(prefix.count)) : nil })
                #expect(value >= before && value <= after)
                // CLOCK_MONOTONIC, not the wall clock: far below seconds since 1970.
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                #expect(value / 1_000_000 <= UInt64(now.tv_sec))
            }
        }

        @Test func stoppingAndWatchdog() throws {
            try withNotifySocket { notifier, fd in
                #expect(notifier.stopping())
                #expect(receiveDatagram(fd) == "STOPPING=1")
                #expect(notifier.watchdogPing())
                #expect(receiveDatagram(fd) == "WATCHDOG=1")
                #expect(notifier.extendTimeout(by: .seconds(20)))
                #expect(receiveDatagram(fd) == "EXTEND_TIMEOUT_USEC=20000000")
            }
        }

        @Test func withoutNotifySocketNothingIsSent() {
            withEnvironment(["NOTIFY_SOCKET": nil]) {
                let notifier = SystemdNotifier()
                #expect(!notifier.isActive)
                #expect(!notifier.ready(status: "x"))
                #expect(!notifier.reloading())
                #expect(!notifier.watchdogPing())
                #expect(!notifier.stopping())
            }
        }

        @Test func watchdogIntervalIsHalfOfWatchdogUsec() {
            let pid = String(getpid())
            withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": pid]) {
                #expect(SystemdNotifier().watchdogInterval == .seconds(1))
            }
            withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": nil]) {
                #expect(SystemdNotifier().watchdogInterval == .seconds(15))
            }
            // The watchdog of another process (a parent that did not unset it).
            withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid() + 1)]) {
                #expect(SystemdNotifier().watchdogInterval == nil)
            }
            withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                #expect(SystemdNotifier().watchdogInterval == nil)
            }
        }
    }

    // MARK: socket activation

    @Suite struct SocketActivation {
        /// Puts `sockets` on fds 3, 4, … for `body`, as systemd would, then puts back
        /// whatever the test process had there (fd and FD_CLOEXEC flag).
        func withPassedFDs<T>(_ sockets: [Int32], _ body: () throws -> T) rethrows -> T {
            var saved: [(target: Int32, copy: Int32, flags: Int32)] = []
            for (index, socket) in sockets.enumerated() {
                let target = Int32(3 + index)
                let flags = fcntl(target, F_GETFD)
                let copy = flags >= 0 ? fcntl(target, F_DUPFD_CLOEXEC, 100) : -1
                saved.append((target, copy, flags))
                precondition(dup2(socket, target) == target)
            }
            defer {
                for entry in saved {
                    if entry.copy >= 0 {
                        dup2(entry.copy, entry.target)
                        _ = fcntl(entry.target, F_SETFD, entry.flags)
                        close(entry.copy)
                    } else {
                        close(entry.target)
                    }
                }
            }
            return try body()
        }

        func listening(_ directory: TemporaryDirectory, _ name: String) throws -> Int32 {
            try boundUnixSocket(directory.path + "/" + name, type: Int32(SOCK_STREAM.rawValue))
        }

        func environment(count: Int, names: String?, pid: pid_t = getpid()) -> [String: String?] {
            ["LISTEN_FDS": String(count), "LISTEN_PID": String(pid), "LISTEN_FDNAMES": names]
        }

        @Test func notSocketActivated() throws {
            let result = try withEnvironment(["LISTEN_FDS": nil, "LISTEN_PID": nil, "LISTEN_FDNAMES": nil]) {
                try ListenFDs.varlinkSocket()
            }
            #expect(result == nil)
        }

        @Test func theFDNamedVarlink() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let socket = try listening(directory, "a")
            defer { close(socket) }
            var leftOver: [String?] = []
            let result = try withPassedFDs([socket]) {
                try withEnvironment(environment(count: 1, names: "varlink")) {
                    defer {
                        leftOver = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"].map { (name: String) in
                            getenv(name).map { String(cString: $0) }
                        }
                    }
                    return try ListenFDs.varlinkSocket()
                }
            }
            #expect(result == 3)
            #expect(leftOver == [nil, nil, nil], "LISTEN_* must be unset after the call")
        }

        @Test func theSingleFDWhateverItsName() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let socket = try listening(directory, "a")
            defer { close(socket) }
            let unnamed = try withPassedFDs([socket]) {
                try withEnvironment(environment(count: 1, names: nil)) { try ListenFDs.varlinkSocket() }
            }
            #expect(unnamed == 3)
            let otherName = try withPassedFDs([socket]) {
                try withEnvironment(environment(count: 1, names: "mailsrvd.socket")) { try ListenFDs.varlinkSocket() }
            }
            #expect(otherName == 3)
        }

        @Test func varlinkAmongTwo() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let first = try listening(directory, "a"), second = try listening(directory, "b")
            defer { close(first); close(second) }
            let result = try withPassedFDs([first, second]) {
                try withEnvironment(environment(count: 2, names: "metrics:varlink")) { try ListenFDs.varlinkSocket() }
            }
            #expect(result == 4)
        }

        @Test func varlinkAndAutoconfig() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let varlink = try listening(directory, "a"), tcp = try listeningTCPSocket()
            defer { close(varlink); close(tcp) }
            let result = try withPassedFDs([tcp, varlink]) {
                try withEnvironment(environment(count: 2, names: "autoconfig:varlink")) { try ListenFDs.sockets() }
            }
            #expect(result == ListenFDs.Sockets(varlink: 4, autoconfig: 3))
            let alone = try withPassedFDs([tcp]) {
                try withEnvironment(environment(count: 1, names: "autoconfig")) { try ListenFDs.sockets() }
            }
            #expect(alone == ListenFDs.Sockets(varlink: nil, autoconfig: 3), "the Varlink socket is then bound by path")
        }

        @Test func anAutoconfigSocketThatIsNotTCPIsRefused() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let first = try listening(directory, "a"), second = try listening(directory, "b")
            defer { close(first); close(second) }
            let outcome: Result<ListenFDs.Sockets, ListenFDsError> = withPassedFDs([first, second]) {
                withEnvironment(environment(count: 2, names: "varlink:autoconfig")) {
                    Result { () throws(ListenFDsError) in try ListenFDs.sockets() }
                }
            }
            #expect(throws: ListenFDsError.notAListeningTCPSocket(fd: 4, name: "autoconfig")) { try outcome.get() }
        }

        @Test func twoFDsNoneNamedVarlink() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let first = try listening(directory, "a"), second = try listening(directory, "b")
            defer { close(first); close(second) }
            let outcome: Result<Int32?, ListenFDsError> = withPassedFDs([first, second]) {
                withEnvironment(environment(count: 2, names: "metrics:admin")) {
                    Result { () throws(ListenFDsError) in try ListenFDs.varlinkSocket() }
                }
            }
            #expect(throws: ListenFDsError.noVarlinkSocket(names: ["metrics", "admin"])) { try outcome.get() }
            #expect(ListenFDsError.noVarlinkSocket(names: ["metrics", "admin"]).description.contains("none named 'varlink'"))
        }

        @Test func anotherProcessesFDs() throws {
            let result = try withEnvironment(environment(count: 1, names: "varlink", pid: getpid() + 1)) {
                try ListenFDs.varlinkSocket()
            }
            #expect(result == nil)
        }

        @Test func aDatagramSocketIsRefused() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let socket = try boundUnixSocket(directory.path + "/d", type: Int32(SOCK_DGRAM.rawValue))
            defer { close(socket) }
            let outcome: Result<Int32?, ListenFDsError> = withPassedFDs([socket]) {
                withEnvironment(environment(count: 1, names: "varlink")) {
                    Result { () throws(ListenFDsError) in try ListenFDs.varlinkSocket() }
                }
            }
            #expect(throws: ListenFDsError.notAListeningUnixStreamSocket(fd: 3, name: "varlink")) { try outcome.get() }
        }
    }

    // MARK: the unit files

    @Suite struct Units {
        static let analyze = "/usr/bin/systemd-analyze"

        /// The shipped units copied to a temp dir, ExecStart pointing at the built daemon
        /// (the path check of `verify` needs an executable there).
        func installedCopies(_ edit: (String) -> String = { $0 }) throws -> TemporaryDirectory {
            let directory = try TemporaryDirectory()
            // The daemon built with the tests, beside the test binary.
            let built = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("mailsrvd").path
            let binary = FileManager.default.isExecutableFile(atPath: built) ? built : "/bin/true"
            let service = try String(contentsOf: packageRoot.appendingPathComponent("systemd/mailsrvd.service"), encoding: .utf8)
            #expect(service.contains("ExecStart=/usr/local/bin/mailsrvd\n"))
            try edit(service.replacingOccurrences(of: "ExecStart=/usr/local/bin/mailsrvd", with: "ExecStart=" + binary))
                .write(toFile: directory.path + "/mailsrvd.service", atomically: true, encoding: .utf8)
            for socket in ["mailsrvd.socket", "mailsrvd-autoconfig.socket"] {
                try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("systemd/\(socket)").path,
                                                 toPath: directory.path + "/" + socket)
            }
            return directory
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
        func verifyIsClean() async throws {
            let directory = try installedCopies()
            defer { directory.remove() }
            let result = try await ChildProcess.run(Self.analyze, ["verify", "--man=no", "mailsrvd.service", "mailsrvd.socket", "mailsrvd-autoconfig.socket"], directory: directory.path)
            #expect(result.status == 0)
            #expect(result.stderr.isEmpty, "systemd-analyze verify: \(result.stderr)")
            #expect(result.stdout.isEmpty, "systemd-analyze verify: \(result.stdout)")
        }

        /// The check above would see a broken unit: a misspelt key makes verify complain.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
        func verifySeesAMisspeltKey() async throws {
            let directory = try installedCopies { $0.replacingOccurrences(of: "WatchdogSec=", with: "WatchdogSecs=") }
            defer { directory.remove() }
            let result = try await ChildProcess.run(Self.analyze, ["verify", "--man=no", "mailsrvd.service"], directory: directory.path)
            #expect(result.stderr.contains("WatchdogSecs"))
        }

        static func exposure(_ output: String) -> Double? {
            // "→ Overall exposure level for mailsrvd.service: 1.3 OK 🙂"
            guard let line = output.split(separator: "\n").first(where: { $0.contains("Overall exposure level") }),
                  let afterColon = line.split(separator: ":").last?.split(separator: " ").first else { return nil }
            return Double(afterColon)
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
        func securityExposureAtMost2() async throws {
            let directory = try installedCopies()
            defer { directory.remove() }
            let result = try await ChildProcess.run(Self.analyze, ["security", "--offline=true", "--no-pager", "mailsrvd.service"], directory: directory.path)
            let exposure = try #require(Self.exposure(result.stdout), "no exposure in: \(result.stdout) \(result.stderr)")
            #expect(exposure <= 2.0)
        }

        /// The exposure parser reads a real figure: an unsandboxed unit scores far above 2.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
        func securityExposureOfAnUnsandboxedUnit() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try "[Service]\nExecStart=/bin/true\n".write(toFile: directory.path + "/plain.service", atomically: true, encoding: .utf8)
            let result = try await ChildProcess.run(Self.analyze, ["security", "--offline=true", "--no-pager", "plain.service"], directory: directory.path)
            let exposure = try #require(Self.exposure(result.stdout))
            #expect(exposure > 5)
        }
    }
}
