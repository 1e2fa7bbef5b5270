extension DaemonConfiguration {
    /// The settings that only a restart changes and that differ from `old`, by their
    /// names in the configuration file.
    func restartOnlyChanges(from old: DaemonConfiguration) -> [String] {
        var changed: [String] = []
        func note(_ name: String, _ differs: Bool) {
            if differs { changed.append(name) }
        }
        note("Socket", socketPath != old.socketPath)
        note("AutoconfigListen", autoconfigListen != old.autoconfigListen)
        note("StateDirectory", stateDirectory != old.stateDirectory)
        note("CacheDirectory", cacheDirectory != old.cacheDirectory)
        note("CacheMaxNames", cache.maxEntries != old.cache.maxEntries)
        note("NegativeCacheMax", cache.negativeTTLCap != old.cache.negativeTTLCap)
        note("StaleMaxAge", cache.staleMaxAge != old.cache.staleMaxAge)
        note("RetrievalOrder", retrievalOrder != old.retrievalOrder)
        note("PinGrace", pinGrace != old.pinGrace)
        note("SaveInterval", saveInterval != old.saveInterval)
        note("IdleTimeout", limits.idleTimeout != old.limits.idleTimeout)
        return changed
    }
}
