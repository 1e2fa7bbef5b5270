import FoundationEssentials
import Logging
import MailDiscovery

/// Reads and writes the daemon's files: the DNS cache (cache directory) and the pins
/// (state directory). A file that cannot be read is renamed aside with a warning and
/// never stops the daemon; a failed write is logged and retried at the next save.
struct StateFiles {
    let paths: DaemonPaths
    /// The clock of the cache and the pins (the files hold wall-clock times).
    let time: any TimeSource
    let logger: Logger

    /// Creates the directories (mode 0700: the files are nobody else's business).
    func prepareDirectories() throws {
        for directory in [paths.stateDirectory, paths.cacheDirectory] {
            try makeDirectory(directory, mode: 0o700)
        }
    }

    func loadCache(into resolver: CachingResolver) {
        guard let entries = read(paths.cacheFile, with: CacheFile.load) else { return }
        let dropped = resolver.restore(entries)
        if dropped > 0 {
            logger.warning("cache entries expiring impossibly late dropped",
                           metadata: ["file": "\(paths.cacheFile.path)", "dropped": "\(dropped)"])
        }
        logger.info("cache loaded", metadata: ["entries": "\(resolver.cachedEntries)"])
    }

    func saveCache(of resolver: CachingResolver) {
        resolver.prune()
        write(paths.cacheFile) { try CacheFile.save(resolver.snapshot(), to: $0) }
    }

    func loadPins(into book: LeaseBook, grace: TimeInterval) {
        guard let snapshot = read(paths.pinFile, with: PinFile.load) else { return }
        let (restored, dropped) = book.restore(snapshot.converted(time.fromWallClock), grace: grace)
        if dropped > 0 {
            logger.warning("pins or failure marks over the limits dropped", metadata: ["file": "\(paths.pinFile.path)", "dropped": "\(dropped)"])
        }
        logger.info("pins restored", metadata: ["pins": "\(restored)", "grace": "\(grace)s"])
    }

    func savePins(of book: LeaseBook) {
        let snapshot = book.snapshot().converted(time.wallClock)
        write(paths.pinFile) { try PinFile.save(snapshot, to: $0) }
    }

    /// The saved confirmations; none when there is no file or it cannot be read.
    func loadTrust() -> TrustStore {
        guard let store = read(paths.trustFile, with: TrustFile.load) else { return TrustStore() }
        logger.info("trust restored", metadata: ["entries": "\(store.snapshot.values.map(\.count).reduce(0, +))"])
        return store
    }

    func saveTrust(_ store: TrustStore) {
        write(paths.trustFile) { try TrustFile.save(store, to: $0) }
    }

    private func read<T>(_ file: URL, with load: (URL) throws -> T) -> T? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            return try load(file)
        } catch {
            setAside(file, because: error)
            return nil
        }
    }

    private func write(_ file: URL, _ save: (URL) throws -> Void) {
        do {
            try save(file)
        } catch {
            logger.error("cannot write state file", metadata: ["file": "\(file.path)", "error": "\(error)"])
        }
    }

    /// Moves an unreadable file to `NAME.corrupt` so that the daemon starts afresh but the
    /// evidence is kept.
    private func setAside(_ file: URL, because error: any Error) {
        let aside = file.appendingPathExtension("corrupt")
        try? FileManager.default.removeItem(at: aside)
        try? FileManager.default.moveItem(at: file, to: aside)
        logger.warning("unreadable state file set aside", metadata: [
            "file": "\(file.path)", "moved-to": "\(aside.path)", "error": "\(error)",
        ])
    }
}
