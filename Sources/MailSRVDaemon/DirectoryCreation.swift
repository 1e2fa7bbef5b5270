import FoundationEssentials
import Glibc

/// A directory the daemon needs (state, cache, socket) could not be made.
public struct DirectoryError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot create directory \(path): \(reason)" }
}

/// Creates `path` and its parents with `mode`; an existing directory is fine. The error
/// says why in plain words (e.g. a dangling symlink left by an earlier `DynamicUser=` run).
func makeDirectory(_ path: String, mode: Int) throws(DirectoryError) {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: mode])
    } catch {
        var info = stat()
        let reason = if lstat(path, &info) == 0 {
            (info.st_mode & S_IFMT) == S_IFLNK
                ? "it is a symbolic link to a missing directory or to something else"
                : "it exists and is not a directory"
        } else {
            "\(error)"
        }
        throw DirectoryError(path: path, reason: reason)
    }
}
