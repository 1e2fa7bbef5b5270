import Glibc
import Synchronization

/// Follows a `resolv.conf` file with the kernel's notifications (inotify), not polling:
/// calls `onChange` with the file's name servers whenever they differ from the last
/// ones seen. Watches the directory of the file and of every symlink on the way to the
/// real file (NetworkManager renames a new file into place; resolvconf and
/// systemd-resolved keep the real file under `/run` behind a symlink that may be swapped).
///
/// A file that is missing, unreadable or lists no server (as in the middle of a rewrite)
/// is not a change: the last servers stay until a file with servers appears.
public final class ResolvConfWatcher: Sendable {
    /// The file followed.
    public let path: String
    private let inotify: Int32
    private let poller: PollThread
    private let state: Mutex<State>
    private let onChange: @Sendable ([String]) -> Void

    private struct State {
        /// The servers last reported (or given at start).
        var servers: [String]
        /// Watched directory → its watch descriptor, and the names in it that matter.
        var watches: [String: (descriptor: Int32, names: Set<String>)] = [:]
    }

    /// Starts watching `path`. `servers`: those in use now (no call until they change).
    public init(path: String, servers: [String],
                onChange: @escaping @Sendable ([String]) -> Void) throws(ResolverSetupError) {
        self.path = path
        self.onChange = onChange
        state = Mutex(State(servers: servers))
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else {
            throw ResolverSetupError("inotify: \(String(cString: strerror(errno)))")
        }
        do {
            poller = try PollThread(watching: inotify, onReadable: {})
        } catch {
            close(inotify)
            throw ResolverSetupError("resolv.conf watcher: \(error)")
        }
        poller.onTimer = { [weak self] in self?.handleEvents() }
        rewatch()
        do {
            try poller.start()
        } catch {
            throw ResolverSetupError("resolv.conf watcher: \(error)")   // deinit closes inotify
        }
        // A change between reading the servers and the first watch is not lost.
        check()
    }

    /// Stops watching. Idempotent.
    public func stop() {
        poller.stop()
    }

    deinit {
        poller.stop()
        close(inotify)
    }

    /// On the poll thread, after every wake-up: reads the pending events and, if one
    /// concerns the file or a symlink on its way, watches anew and reads the file.
    private func handleEvents() {
        var relevant = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = read(inotify, &buffer, buffer.count)
            if n <= 0 { break }
            relevant = relevant || containsRelevantEvent(buffer[..<n])
        }
        guard relevant else { return }
        rewatch()
        check()
    }

    /// True if one of the `inotify_event`s in `bytes` names a watched file, or tells
    /// that a watched directory went away.
    private func containsRelevantEvent(_ bytes: ArraySlice<UInt8>) -> Bool {
        let watched = state.withLock { state in
            Dictionary(state.watches.values.map { ($0.descriptor, $0.names) }, uniquingKeysWith: { $0.union($1) })
        }
        return InotifyEvent.parse(bytes).contains { event in
            event.mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW) != 0
                || watched[event.watch]?.contains(event.name) == true
        }
    }

    /// Watches the directory of `path` and of every symlink target on the way to the
    /// real file (at most 8 links), and no other.
    private func rewatch() {
        var wanted: [String: Set<String>] = [:]
        var current = path
        for _ in 0 ..< 8 {
            let (directory, name) = Self.split(current)
            wanted[directory, default: []].insert(name)
            guard let target = Self.symlinkTarget(current) else { break }
            current = target.hasPrefix("/") ? target : directory + "/" + target
        }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
                          | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
        state.withLock { state in
            for (directory, watch) in state.watches where wanted[directory] == nil {
                inotify_rm_watch(inotify, watch.descriptor)
                state.watches[directory] = nil
            }
            for (directory, names) in wanted {
                // Adding an existing watch again returns the same descriptor; a directory
                // that does not exist (yet) is watched once a symlink change shows it.
                let descriptor = inotify_add_watch(inotify, directory, mask)
                if descriptor >= 0 {
                    state.watches[directory] = (descriptor, names)
                } else {
                    state.watches[directory] = nil
                }
            }
        }
    }

    /// Reads the file; reports its servers if it lists some and they changed.
    private func check() {
        let servers = ResolvConf.nameservers(at: path)
        guard !servers.isEmpty else { return }
        let changed = state.withLock { state in
            defer { state.servers = servers }
            return state.servers != servers
        }
        if changed { onChange(servers) }
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func symlinkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
