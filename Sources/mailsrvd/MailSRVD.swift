import ArgumentParser
import FoundationEssentials
import Glibc
import Logging
import MailSRVDaemon
import Resolver
import ServiceLifecycle
import Systemd

/// `mailsrvd`: the command line of DESIGN.md §6. Flags override the config file, which
/// overrides the defaults.
@main
struct MailSRVD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailsrvd",
        abstract: "Finds the IMAP, POP3 and submission servers of mail domains from DNS SRV records, for every local user.",
        discussion: """
            Serves io.mailsrvd.Discovery over Varlink on a Unix socket: \
            /run/mailsrvd/io.mailsrvd.Discovery as root, $XDG_RUNTIME_DIR/mailsrvd/io.mailsrvd.Discovery \
            otherwise. Under systemd a socket passed with LISTEN_FDS is served instead, and \
            RUNTIME_DIRECTORY, STATE_DIRECTORY and CACHE_DIRECTORY are honoured. Settings come from \
            /etc/mailsrvd/mailsrvd.conf and mailsrvd.conf.d/*.conf unless --config names a file; \
            flags override them. With --autoconfig-listen (or AutoconfigListen=, or a socket \
            named autoconfig passed by systemd) it also serves Mozilla autoconfig XML for \
            Thunderbird: GET /v1.1/DOMAIN and /mail/config-v1.1.xml?emailaddress=ADDRESS. SIGHUP reloads the configuration; SIGTERM or SIGINT stops gracefully.
            """,
        version: Daemon.version)

    @Option(name: .long, help: ArgumentHelp("Config file.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Unix socket to serve.", valueName: "path"))
    var socket: String?

    @Option(name: .customLong("dns-server"),
            help: ArgumentHelp("Upstream DNS server, ADDR or ADDR@PORT; repeatable (default: /etc/resolv.conf).",
                               valueName: "addr[@port]"))
    var dnsServers: [String] = []

    @Option(name: .customLong("state-directory"), help: ArgumentHelp("Where pins are kept.", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("cache-directory"), help: ArgumentHelp("Where the DNS cache is kept.", valueName: "dir"))
    var cacheDirectory: String?

    @Option(name: .long, help: ArgumentHelp("DNSSEC mode: off, permissive (default) or strict.", valueName: "mode"))
    var dnssec: DNSSECMode?

    @Option(name: .customLong("trust-anchor"), help: ArgumentHelp("DNSSEC trust anchor file.", valueName: "file"))
    var trustAnchor: String?

    @Option(name: .customLong("autoconfig-listen"),
            help: ArgumentHelp("Serve Mozilla autoconfig (Thunderbird) over HTTP on this loopback address.",
                               valueName: "addr:port"))
    var autoconfigListen: String?

    @Option(name: .customLong("log-level"),
            help: ArgumentHelp("trace, debug, info (default), notice, warning, error or critical.", valueName: "level"))
    var logLevel: String?

    static let defaultConfigFile = "/etc/mailsrvd/mailsrvd.conf"

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level: '\(logLevel)' is not a log level")
        }
        if let autoconfigListen {
            do {
                _ = try AutoconfigAddress(parsing: autoconfigListen)
            } catch {
                throw ValidationError("--autoconfig-listen: \(error)")
            }
        }
    }

    func run() async throws {
        let settings: DaemonConfiguration
        do {
            settings = try loadConfiguration()
        } catch let error as ConfigError {
            printError("mailsrvd: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        LogDestination.bootstrap(level: settings.loggerLevel)
        let logger = Logger(label: "mailsrvd")
        let paths = DaemonPaths(settings, environment: ProcessInfo.processInfo.environment)
        let sockets: ListenFDs.Sockets
        do {
            sockets = try ListenFDs.sockets()
        } catch {
            printError("mailsrvd: socket activation: \(error)")
            throw ExitCode(1)
        }
        let listen = sockets.varlink.map { ListenTarget.inherited(fd: $0) } ?? .path(paths.socket)
        let daemon = Daemon(configuration: settings, paths: paths, listen: listen,
                            autoconfigSocket: sockets.autoconfig, logger: logger,
                            reloadConfiguration: { [self] in try loadConfiguration() })
        let group = ServiceGroup(configuration: .init(services: [daemon],
                                                      gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    /// Defaults, then the config file and its drop-ins, then the flags.
    private func loadConfiguration() throws -> DaemonConfiguration {
        var settings = DaemonConfiguration()
        try ConfigFile.apply(config ?? Self.defaultConfigFile, to: &settings, required: config != nil)
        apply(to: &settings)
        return settings
    }

    /// Flags override the config file.
    private func apply(to settings: inout DaemonConfiguration) {
        if let socket { settings.socketPath = socket }
        if !dnsServers.isEmpty { settings.resolver.upstreams = dnsServers }
        if let stateDirectory { settings.stateDirectory = stateDirectory }
        if let cacheDirectory { settings.cacheDirectory = cacheDirectory }
        if let dnssec { settings.resolver.dnssec = dnssec }
        if let trustAnchor { settings.resolver.trustAnchorFile = trustAnchor }
        if let logLevel { settings.logLevel = logLevel }
        if let autoconfigListen { settings.autoconfigListen = try? AutoconfigAddress(parsing: autoconfigListen) }
    }
}

extension DNSSECMode: ExpressibleByArgument {}

/// Writes one line to standard error (before the logger is set up).
private func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = write(STDERR_FILENO, bytes, bytes.count)
}
