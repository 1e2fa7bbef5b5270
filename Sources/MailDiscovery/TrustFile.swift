import FoundationEssentials

/// The confirmations on disk (a `JSONFile` next to the pins).
public enum TrustFile {
    static let version = 1

    public static func save(_ store: TrustStore, to url: URL) throws {
        try JSONFile.save(store.snapshot, version: version, to: url)
    }

    /// The saved store, checked as `TrustStore.init(restoring:)` says.
    public static func load(from url: URL) throws -> TrustStore {
        TrustStore(restoring: try JSONFile.load([UInt32: [TrustedTarget]].self, version: version, from: url))
    }
}
