import FoundationEssentials

/// The DNS cache on disk (a `JSONFile`), entries with their absolute expiry times.
public enum CacheFile {
    static let version = 1

    private struct Item: Codable {
        var key: CacheKey
        var entry: CacheEntry
    }

    public static func save(_ entries: [(key: CacheKey, entry: CacheEntry)], to url: URL) throws {
        try JSONFile.save(entries.map { Item(key: $0.key, entry: $0.entry) }, version: version, to: url)
    }

    /// The saved entries, least recently used first. Throws on a corrupt or foreign file.
    public static func load(from url: URL) throws -> [(key: CacheKey, entry: CacheEntry)] {
        try JSONFile.load([Item].self, version: version, from: url).map { ($0.key, $0.entry) }
    }
}
