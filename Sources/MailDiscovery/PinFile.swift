import FoundationEssentials

/// The pins on disk (a `JSONFile`). Version 2: each endpoint of a pin once, the pinned
/// tuple by position (version 1 repeated the endpoint in every tuple of the order).
public enum PinFile {
    static let version = 2

    public static func save(_ snapshot: LeaseRegistry.Snapshot, to url: URL) throws {
        try JSONFile.save(snapshot, version: version, to: url)
    }

    public static func load(from url: URL) throws -> LeaseRegistry.Snapshot {
        try JSONFile.load(LeaseRegistry.Snapshot.self, version: version, from: url)
    }
}
