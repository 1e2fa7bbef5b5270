import Foundation

/// The cache on disk: JSON with absolute expiry times, written atomically (temporary file
/// then rename) with mode 0600.
public enum CacheFile {
    private struct Contents: Codable {
        static let currentVersion = 1
        var version: Int
        var entries: [Item]
    }

    private struct Item: Codable {
        var key: CacheKey
        var entry: CacheEntry
    }

    public struct UnsupportedVersion: Error, CustomStringConvertible {
        public var version: Int
        public var description: String { "unsupported cache file version \(version)" }
    }

    public static func save(_ entries: [(key: CacheKey, entry: CacheEntry)], to url: URL) throws {
        let contents = Contents(version: Contents.currentVersion,
                                entries: entries.map { Item(key: $0.key, entry: $0.entry) })
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        try encoder.encode(contents).write(to: url, options: [.atomic])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }

    /// The saved entries, least recently used first. Throws on a corrupt or foreign file.
    public static func load(from url: URL) throws -> [(key: CacheKey, entry: CacheEntry)] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let contents = try decoder.decode(Contents.self, from: Data(contentsOf: url))
        guard contents.version == Contents.currentVersion else {
            throw UnsupportedVersion(version: contents.version)
        }
        return contents.entries.map { ($0.key, $0.entry) }
    }
}
