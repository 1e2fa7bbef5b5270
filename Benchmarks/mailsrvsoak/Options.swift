import Foundation

/// The command line: the soak's size, or the internal latency probe that the soak runs
/// as another uid.
struct Options: Sendable {
    var seconds = 60.0
    var connections = 1000
    /// The bound on uid 65534's cached Lookup p99, in ms (nil: printed, not checked).
    var p99Bound: Double?
    /// Internal: cached Lookups in a loop for that many seconds, as whoever runs it.
    var latencyProbe: (socket: String, seconds: Double)?

    static func parse() -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--seconds": options.seconds = Double(arguments.popFirst() ?? "") ?? options.seconds
            case "--connections": options.connections = Int(arguments.popFirst() ?? "") ?? options.connections
            case "--p99-ms": options.p99Bound = Double(arguments.popFirst() ?? "")
            case "--latency-probe":
                options.latencyProbe = (arguments.popFirst() ?? "", Double(arguments.popFirst() ?? "") ?? 10)
            default:
                FileHandle.standardError.write(Data("usage: mailsrvsoak [--seconds N] [--connections N] [--p99-ms MS]\n".utf8))
                exit(2)
            }
        }
        return options
    }
}

/// Prints one line at once: stdout is a pipe under `make soak`, and C's `stdout` buffer
/// (which `print` uses) is shared mutable state that Swift 6 does not let us line-buffer.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
