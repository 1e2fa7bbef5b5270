import Foundation
import KnotHarness
import MailSRVInterface
import Testing
import TestSupport
import Varlink

/// The daemon and systemd's protocols: sd_notify, the watchdog, SIGHUP reloads and socket
/// activation, seen from outside the process.
@Suite struct SystemdIntegrationTests {
    @Test func notifySequenceFromReadyThroughReloadToStopping() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listener = try NotifyListener(directory: directory)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, config: "[Discovery]\n", directory: directory,
                                             environment: ["NOTIFY_SOCKET": listener.path])
        let ready = await listener.until("READY=1")
        #expect(ready.last?.contains("STATUS=Serving") == true)

        kill(daemon.process.processIdentifier, SIGHUP)
        let reload = await listener.until("READY=1")
        let reloading = try #require(reload.first { $0.contains("RELOADING=1") })
        #expect(reloading.contains("MONOTONIC_USEC="))
        #expect(reload.firstIndex { $0.contains("RELOADING=1") }! < reload.count - 1, "READY=1 follows RELOADING=1")

        kill(daemon.process.processIdentifier, SIGTERM)
        let stopping = await listener.until("STOPPING=1")
        #expect(stopping.last == "STOPPING=1")
        #expect(await daemon.stop() == 0)
    }

    @Test func statusIsRefreshedWithLiveFigures() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listener = try NotifyListener(directory: directory)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, directory: directory,
                                             environment: ["NOTIFY_SOCKET": listener.path])
        let holder = try await daemon.connect()
        _ = try await holder.call(DiscoveryInterface.Method.acquire.qualifiedName, ["email": "a@example.net"])
        let updates = await listener.until("1 lease(s)", timeout: .seconds(12))
        #expect(updates.last?.contains("STATUS=Serving 1 client(s), 1 lease(s)") == true)
        await daemon.stop()
    }

    @Test func watchdogPingsAtHalfTheInterval() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listener = try NotifyListener(directory: directory)
        let started = ContinuousClock.now
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, directory: directory,
                                             environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        let ready = await listener.until("READY=1")
        try await Task.sleep(for: .seconds(2))
        // Count every ping of the daemon's life, however late the test reads them.
        kill(daemon.process.processIdentifier, SIGTERM)
        let rest = await listener.until("STOPPING=1")
        let lifetime = ContinuousClock.now - started
        let pings = (ready + rest).filter { $0.contains("WATCHDOG=1") }.count
        // One ping per 200 ms, the first at once.
        let expected = Int(lifetime / .milliseconds(200)) + 1
        #expect(pings >= 3 && pings <= expected + 2, "\(pings) pings in \(lifetime), expected about \(expected)")
        await daemon.stop()
    }

    @Test func sighupWithANewUpstreamTakesEffectAndABadFileKeepsTheOldConfig() async throws {
        let good = try await KnotServer.start(signing: false)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listener = try NotifyListener(directory: directory)
        // Starts against a port nobody answers on (its queries wait out a 1 s timeout, not
        // the default 5 s); the config file is what is reloaded.
        let daemon = try await DaemonProcess(dnsServer: nil, config: "[Discovery]\nDNS=127.0.0.1@9\nQueryTimeout=1s\n",
                                             arguments: [], directory: directory,
                                             environment: ["NOTIFY_SOCKET": listener.path])
        _ = await listener.until("READY=1")
        let holder = try await daemon.connect()
        await #expect(try holder.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).errorName == "ResolutionFailed")

        try daemon.rewriteConfig("[Discovery]\nDNS=\(good.forwarder)\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = await listener.until("READY=1")
        let found = try await holder.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"])
        #expect(found.error == nil, "the same connection now reaches the new upstream")

        try daemon.rewriteConfig("[Discovery]\nDNS=127.0.0.1@9\nNoSuchKey=1\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = await listener.until("READY=1")
        #expect(daemon.log.contains("reload failed"))
        #expect(daemon.log.contains("mailsrvd.conf:3: NoSuchKey: unknown key"))
        await #expect(try holder.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@nopop.example.net"]).error == nil)
        await daemon.stop()
        await good.stop()
    }

    @Test func sighupAppliesANewLogLevelToTheLoggersAlreadyRunning() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loglevel-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let listener = try NotifyListener(directory: directory)
        let daemon = try await DaemonProcess(dnsServer: knot.forwarder, config: "[Discovery]\nLogLevel=info\n",
                                             logLevel: nil, directory: directory,
                                             environment: ["NOTIFY_SOCKET": listener.path])
        _ = await listener.until("READY=1")
        let client = try await daemon.connect()
        let lookupEntries = { daemon.log.split(separator: "\n").filter { $0.hasSuffix("] lookup") }.count }
        await #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).error == nil)
        #expect(lookupEntries() == 0, "a Lookup is logged at debug")

        try daemon.rewriteConfig("[Discovery]\nLogLevel=debug\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = await listener.until("READY=1")
        await #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).error == nil)
        #expect(lookupEntries() == 1)
        #expect(!daemon.log.contains("only after a restart"), "\(daemon.log)")

        try daemon.rewriteConfig("[Discovery]\nLogLevel=warning\n")
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = await listener.until("READY=1")
        await #expect(try client.call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"]).error == nil)
        #expect(lookupEntries() == 1)
        await daemon.stop()
    }

    @Test func socketActivationServesThePassedSocketAndBindsNothing() async throws {
        let knot = try await SharedKnot.server()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("activate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("io.mailsrvd.Discovery").path
        // Under `timeout`, which stays its parent: systemd-socket-activate closes every
        // inherited descriptor at start, among them the one Foundation watches to learn that
        // a child exited, and Foundation then blocks in waitpid() for it, so that no other
        // child's exit is seen until this one ends. Signals go to the activator itself:
        // `timeout` inherits this process's mask, which blocks SIGTERM.
        let activator = Process()
        activator.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        activator.arguments = ["60", "/usr/bin/systemd-socket-activate", "-l", socket, "--fdname=varlink",
                               DaemonProcess.binaries.appendingPathComponent("mailsrvd").path,
                               "--dns-server", knot.forwarder,
                               "--state-directory", directory.appendingPathComponent("state").path,
                               "--cache-directory", directory.appendingPathComponent("cache").path]
        let log = try activator.runWithSignalsUnblocked {
            let log = Pipe()
            activator.standardOutput = log
            activator.standardError = log
            return log
        }
        defer { if activator.isRunning, let pid = activator.firstChildPID() { kill(pid, SIGTERM) } }
        var client: DaemonConnection?
        for _ in 0..<200 where client == nil {
            client = try? await DaemonConnection(socket: socket)
            if client == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let reply = try await #require(client).call(DiscoveryInterface.Method.lookup.qualifiedName, ["email": "a@example.net"])
        #expect(reply["domain"] == "example.net")
        #expect(reply["candidates"]?.arrayValue?.isEmpty == false)
        // Nothing was bound at the default user or system path.
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("run").path))
        kill(try #require(activator.firstChildPID()), SIGTERM)
        try #require(await activator.exit(within: .seconds(20)))
        #expect(activator.terminationStatus == 0)
    }

    @Test(arguments: [
        ("[Discovery]\nNoSuchKey=1\n", ":2: NoSuchKey: unknown key"),
        ("[Discovery]\nDNSSEC=maybe\n", ":2: DNSSEC: 'maybe' is not one of off, permissive, strict"),
        ("[Discovery]\n\nStaleMaxAge=soon\n", ":3: StaleMaxAge: 'soon' is not a duration"),
        ("[Discovery]\nCacheMaxNames=-5\n", ":2: CacheMaxNames: '-5' is not a positive whole number"),
        ("[Elsewhere]\n", ":1: unknown section [Elsewhere]"),
        ("DNS=127.0.0.1\n", ":1: DNS: outside the [Discovery] section"),
        ("[Discovery]\njust words\n", ":2: expected Key=Value"),
    ])
    func aBadConfigFileStopsTheStartAndNamesFileLineAndKey(config: String, message: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("mailsrvd.conf")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(DaemonProcess.binaries.appendingPathComponent("mailsrvd").path,
                                   ["--config", file.path, "--socket", directory.appendingPathComponent("s").path])
        #expect(result.status == 78)
        #expect(result.stderr.contains(file.path + message))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("s").path))
    }

    @Test func aStateDirectoryThatCannotBeMadeStopsTheStartAndSaysWhy() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // What an earlier DynamicUser= run can leave behind: a link into a private/ that is gone.
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createSymbolicLink(atPath: state.path, withDestinationPath: "private/mailsrvd")
        let result = try await ChildProcess.run(DaemonProcess.binaries.appendingPathComponent("mailsrvd").path,
                                   ["--socket", directory.appendingPathComponent("s").path, "--state-directory", state.path,
                                    "--cache-directory", directory.appendingPathComponent("cache").path, "--dns-server", "127.0.0.1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot create directory \(state.path): it is a symbolic link to a missing directory"))
    }
}
