import Glibc

/// One `struct inotify_event` read from an inotify descriptor.
public struct InotifyEvent: Sendable, Equatable {
    /// The watch descriptor the event is for.
    public var watch: Int32
    /// The `IN_*` bits.
    public var mask: UInt32
    /// The name of the file in the watched directory; empty for the directory itself.
    public var name: String

    /// The events in `bytes`, what one `read` of an inotify descriptor returned.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> [InotifyEvent] {
        let header = MemoryLayout<inotify_event>.size
        var events: [InotifyEvent] = []
        var offset = bytes.startIndex
        while offset + header <= bytes.endIndex {
            let event = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset - bytes.startIndex, as: inotify_event.self) }
            let nameBytes = bytes[(offset + header) ..< min(bytes.endIndex, offset + header + Int(event.len))]
            events.append(InotifyEvent(watch: event.wd, mask: event.mask,
                                       name: String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)))
            offset += header + Int(event.len)
        }
        return events
    }
}
