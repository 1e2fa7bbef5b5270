// swift-tools-version:6.0
import PackageDescription

/// Layers, leaves first: C shims → MailDiscovery (core) / Resolver / Varlink → daemon → executables.
let package = Package(
    name: "mailsrvd",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "MailDiscovery", targets: ["MailDiscovery"]),
        .executable(name: "mailsrvd", targets: ["mailsrvd"]),
        .executable(name: "mailsrvctl", targets: ["mailsrvctl"]),
        .executable(name: "mailsrvbench", targets: ["mailsrvbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // C libraries, each behind a module map and one shim header.
        .systemLibrary(name: "CUnbound", pkgConfig: "libunbound", providers: [.apt(["libunbound-dev", "libevent-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CIDN2", pkgConfig: "libidn2", providers: [.apt(["libidn2-dev"])]),
        // The system OpenSSL (libssl-dev) for `mailsrvctl connect`, and the calls it defines as macros.
        .target(name: "CTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // System calls retried while a signal interrupts them (EINTR): the one place that does it.
        .target(name: "SystemCall"),
        // The discovery engine: mail domains, SRV ordering, TTL cache. No NIO; only libidn2 for IDNA.
        .target(name: "MailDiscovery", dependencies: ["CIDN2", "SystemCall"]),
        // libunbound behind MailDiscovery's `DNSQuerying` protocol.
        .target(name: "Resolver", dependencies: ["CUnbound", "MailDiscovery", "SystemCall"]),
        // SO_PEERCRED's struct ucred, which glibc hides from Swift.
        .target(name: "CPeerCredentials"),
        // Varlink framing and messages; NIOCore only.
        .target(name: "Varlink", dependencies: ["SystemCall", .product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "Systemd", dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]),

        // The contract of io.mailsrvd.Discovery (its text, names, typed parameters of every
        // method and error) and socket paths, shared by the daemon and every client.
        .target(name: "MailSRVInterface", dependencies: ["Varlink"], exclude: ["io.mailsrvd.Discovery.varlink"]),
        // What mail clients are told: the servers of an account, Mozilla's autoconfig XML and
        // each client's configuration file. No dependencies; shared by daemon and CLI.
        .target(name: "ClientConfig"),
        // The daemon: configuration, Varlink methods → engine, socket server, lifecycle.
        .target(name: "MailSRVDaemon", dependencies: [
            "MailDiscovery", "Resolver", "Varlink", "MailSRVInterface", "CPeerCredentials", "Systemd", "ClientConfig",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "mailsrvd", dependencies: [
            "MailSRVDaemon", "Systemd",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "mailsrvctl", dependencies: [
            "Varlink", "MailSRVInterface", "CTLS", "Systemd", "ClientConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The load generator, NUL-echo floor and tunnel figures of `make bench` (bench/run.sh),
        // on the servers of the tests' harnesses.
        .executableTarget(name: "mailsrvbench", dependencies: ["MailDiscovery", "MailSRVDaemon", "MailSRVInterface", "Varlink",
                                                               "KnotHarness", "MailHarness",
                                                               .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/mailsrvbench"),

        // Load and hostile clients against the real daemon (make soak, RELIABILITY.md).
        .executableTarget(name: "mailsrvsoak", dependencies: ["Varlink", "MailSRVInterface", "KnotHarness"],
                          path: "Benchmarks/mailsrvsoak"),

        // Test support: child processes that keep the cooperative pool free; a real Knot DNS
        // server on a free loopback port.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .target(name: "KnotHarness", dependencies: ["TestSupport"], path: "Tests/KnotHarness", resources: [.copy("Zones")]),
        // Real mail servers for the tests: a CA made at test time, Dovecot (IMAP, POP3), an
        // aiosmtpd submission server, a blackholed address.
        .target(name: "MailHarness", dependencies: ["TestSupport"], path: "Tests/MailHarness", resources: [.copy("Scripts")]),
        .testTarget(name: "MailHarnessTests", dependencies: ["MailHarness", "TestSupport"]),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        .testTarget(name: "MailDiscoveryTests", dependencies: ["MailDiscovery"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "TestSupport"]),
        .testTarget(name: "ResolverTests", dependencies: ["Resolver", "CUnbound", "MailDiscovery", "KnotHarness", "TestSupport"]),
        // Discovery and the cache through libunbound against a real Knot server.
        .testTarget(name: "DiscoveryTests", dependencies: ["Resolver", "MailDiscovery", "KnotHarness"]),
        // The real mailsrvd binary against a real Knot server, over its socket.
        .testTarget(name: "DaemonTests", dependencies: ["Varlink", "MailSRVInterface", "Resolver", "KnotHarness", "MailHarness", "TestSupport"]),
        // The contract: the interface file against the Swift types of MailSRVInterface.
        .testTarget(name: "MailSRVInterfaceTests", dependencies: ["MailSRVInterface", "Varlink"]),
        // The daemon's methods in process, against a real Knot server.
        .testTarget(name: "MailSRVDaemonTests", dependencies: [
            "MailSRVDaemon", "MailSRVInterface", "MailDiscovery", "Resolver", "Varlink", "KnotHarness",
            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "VarlinkTests", dependencies: [
            "Varlink", .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
