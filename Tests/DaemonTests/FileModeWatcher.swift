import Foundation
import Resolver

/// Watches the regular files of some directories with inotify: on every event there, the
/// mode of the file named and then of every file, and every mode other than 0600 seen.
final class FileModeWatcher: Sendable {
    private let directory: URL
    private let inotify: Int32
    private let watched: [Int32: String]

    init(directory: URL, subdirectories: [String]) throws {
        self.directory = directory
        inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { throw DaemonFailure("inotify: \(String(cString: strerror(errno)))") }
        var watched: [Int32: String] = [:]
        for sub in subdirectories {
            let events = UInt32(IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB)
            let watch = inotify_add_watch(inotify, directory.appendingPathComponent(sub).path, events)
            guard watch >= 0 else {
                close(inotify)
                throw DaemonFailure("inotify watch on \(sub): \(String(cString: strerror(errno)))")
            }
            watched[watch] = sub
        }
        self.watched = watched
    }

    deinit { close(inotify) }

    /// Blocks until `deadline`; returns the files seen with a mode other than 0600 (path
    /// under the directory → mode) and the files events named.
    func watch(until deadline: ContinuousClock.Instant) -> (seen: [String: Int], noticed: Set<String>) {
        var seen: [String: Int] = [:], noticed = Set<String>()
        func look(_ file: String) {
            var info = stat()
            guard lstat(directory.appendingPathComponent(file).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
            let mode = Int(info.st_mode & 0o777)
            if mode != 0o600 { seen[file] = mode }
        }
        var buffer = [UInt8](repeating: 0, count: 8192)
        while ContinuousClock.now < deadline {
            var pending = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
            _ = poll(&pending, 1, 20)
            var count = read(inotify, &buffer, buffer.count)
            while count > 0 {
                for event in InotifyEvent.parse(buffer[..<count]) {
                    if let sub = watched[event.watch], !event.name.isEmpty {
                        let file = sub + "/" + event.name
                        look(file)
                        noticed.insert(file)
                    }
                }
                count = read(inotify, &buffer, buffer.count)
            }
            for sub in watched.values {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(sub).path)) ?? [] {
                    look(sub + "/" + name)
                }
            }
        }
        return (seen, noticed)
    }
}
