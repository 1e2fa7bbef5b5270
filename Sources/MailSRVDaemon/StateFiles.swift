import Foundation
import Logging
import MailDiscovery

/// Reads and writes the daemon's files: the DNS cache now; a file that cannot be read is
/// renamed aside with a warning and never stops the daemon.
struct StateFiles {
    let paths: DaemonPaths
    let logger: Logger

    /// Creates the directories (mode 0700: the files are nobody else's business).
    func prepareDirectories() throws {
        for directory in [paths.stateDirectory, paths.cacheDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }

    func loadCache(into resolver: CachingResolver) {
        let file = paths.cacheFile
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        do {
            let entries = try CacheFile.load(from: file)
            resolver.restore(entries)
            logger.info("cache loaded", metadata: ["entries": "\(resolver.cachedEntries)", "file": "\(file.path)"])
        } catch {
            setAside(file, because: error)
        }
    }

    func saveCache(of resolver: CachingResolver) {
        resolver.prune()
        do {
            try CacheFile.save(resolver.snapshot(), to: paths.cacheFile)
        } catch {
            logger.error("cannot save the cache", metadata: ["file": "\(paths.cacheFile.path)", "error": "\(error)"])
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
