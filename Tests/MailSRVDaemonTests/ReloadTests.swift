@testable import MailSRVDaemon
import Testing

/// A reload names, in its warning, only the restart-only settings that changed.
@Suite struct ReloadTests {
    @Test func onlyChangedRestartOnlySettingsAreNamed() {
        let old = DaemonConfiguration()
        var reloadable = old
        reloadable.logLevel = "debug"
        reloadable.resolver.upstreams = ["127.0.0.1@53"]
        reloadable.failureMemory = 5
        reloadable.limits.connectionsPerUser = 3
        reloadable.limits.leasesPerUser = 3
        reloadable.limits.callsInFlightPerUser = 3
        #expect(reloadable.restartOnlyChanges(from: old) == [])

        var restart = reloadable
        restart.retrievalOrder = .priority
        restart.pinGrace = 1
        restart.cache.maxEntries = 1
        #expect(restart.restartOnlyChanges(from: old) == ["CacheMaxNames", "RetrievalOrder", "PinGrace"])

        // Every setting but the reloadable ones is named when it changes.
        var everything = old
        everything.socketPath = "/x"
        everything.stateDirectory = "/x"
        everything.cacheDirectory = "/x"
        everything.cache.negativeTTLCap = 1
        everything.cache.staleMaxAge = 1
        everything.saveInterval = 1
        everything.limits.idleTimeout = 1
        #expect(everything.restartOnlyChanges(from: old)
            == ["Socket", "StateDirectory", "CacheDirectory", "NegativeCacheMax", "StaleMaxAge", "SaveInterval", "IdleTimeout"])
    }
}
