import Glibc

/// mailsrvbench: the load generator of `make bench` (see bench/run.sh and BENCHMARKS.md).
///
///     mailsrvbench load  --socket P --connections N --seconds S [--max-calls M]
///                        (--emails a@x,b@y | --domains FORMAT --first I --count K) [--want W] [--each-once]
///     mailsrvbench echo  --socket P [--lifetime S]
///     mailsrvbench ready --notify-socket P [--timeout S] -- PROGRAM ARGS…
///     mailsrvbench inprocess [--calls N] [--domains K]
///     mailsrvbench tunnel --daemon MAILSRVD --mailsrvctl MAILSRVCTL --directory D [--pairs N] [--failovers N] [--bulk-mib M]
///
/// `load` prints one JSON object: calls, errors, seconds, rate, p50/p99/p999 (µs), and
/// with `--each-once` also `latencies_ms`. `inprocess` prints the nanoseconds per cached
/// Lookup spent decoding, answering and encoding (see `InProcessBench`); `tunnel` the
/// figures of `mailsrvctl connect` against a direct TLS client (see `TunnelBench`). `FORMAT` holds one `%d`, e.g. `u@d%d.bench.test`.
struct Options {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var rest: [String] = []

    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--" {
                while let more = iterator.next() { rest.append(more) }
            } else if ["--each-once"].contains(argument) {
                flags.insert(argument)
            } else if argument.hasPrefix("--") {
                values[argument] = iterator.next() ?? ""
            } else {
                rest.append(argument)
            }
        }
    }

    func string(_ name: String) throws(BenchError) -> String {
        guard let value = values[name] else { throw .usage("missing \(name)") }
        return value
    }

    func int(_ name: String, default fallback: Int) throws(BenchError) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text) else { throw .usage("\(name): not a number: \(text)") }
        return value
    }
}

/// The emails to look up: a list, or a format expanded over a range of numbers.
func emails(_ options: Options) throws(BenchError) -> [String] {
    if let list = options.values["--emails"] { return list.split(separator: ",").map(String.init) }
    let format = try options.string("--domains")
    let first = try options.int("--first", default: 0)
    let count = try options.int("--count", default: 1)
    return (first..<(first + count)).map { format.replacingOccurrences(of: "%d", with: "\($0)") }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

func runLoad(_ options: Options) throws(BenchError) {
    let plan = LoadPlan(
        socketPath: try options.string("--socket"),
        connections: max(1, try options.int("--connections", default: 1)),
        seconds: Double(options.values["--seconds"] ?? "5") ?? 5,
        maxCalls: try options.int("--max-calls", default: 50_000_000),
        calls: lookupCalls(try emails(options), want: options.values["--want"]),
        eachOnce: options.flags.contains("--each-once"))
    let (outcome, elapsed) = LoadGenerator.run(plan)
    if let failure = outcome.failure { throw .protocolError(failure) }
    let (p50, p99, p999) = outcome.latencies.summary()
    var json = "{\"connections\":\(plan.connections),\"calls\":\(outcome.latencies.count),\"errors\":\(outcome.errors)"
    json += ",\"seconds\":\(fixed(elapsed, 3)),\"rate\":\(fixed(Double(outcome.latencies.count) / elapsed, 0))"
    json += ",\"p50_us\":\(fixed(p50)),\"p99_us\":\(fixed(p99)),\"p999_us\":\(fixed(p999))"
    if plan.eachOnce {
        json += ",\"latencies_ms\":[" + outcome.latencies.samples.map { fixed(Double($0) / 1e6, 2) }.joined(separator: ",") + "]"
    }
    print(json + "}")
}

func main() async throws {
    let arguments = CommandLine.arguments
    guard arguments.count > 1 else { throw BenchError.usage("usage: mailsrvbench load|echo|ready|inprocess|tunnel …") }
    let options = Options(arguments.dropFirst(2))
    switch arguments[1] {
    case "load":
        try runLoad(options)
    case "echo":
        try EchoServer.serve(at: try options.string("--socket"),
                             lifetimeSeconds: UInt32(try options.int("--lifetime", default: 900)))
    case "ready":
        let (pid, milliseconds) = try ReadyTimer.run(notifySocket: try options.string("--notify-socket"),
                                                     timeoutSeconds: try options.int("--timeout", default: 10),
                                                     command: options.rest)
        print("{\"pid\":\(pid),\"ready_ms\":\(fixed(milliseconds, 2))}")
    case "inprocess":
        let figures = try InProcessBench.run(calls: try options.int("--calls", default: 200_000),
                                             domains: try options.int("--domains", default: 100))
        print("{\"decode_ns\":\(fixed(figures.decode)),\"answer_ns\":\(fixed(figures.answer)),\"encode_ns\":\(fixed(figures.encode))}")
    case "tunnel":
        print(try await TunnelBench(daemon: try options.string("--daemon"), mailsrvctl: try options.string("--mailsrvctl"),
                                    directory: try options.string("--directory"), pairs: try options.int("--pairs", default: 10),
                                    failovers: try options.int("--failovers", default: 10),
                                    bulkBytes: try options.int("--bulk-mib", default: 1024) << 20).run())
    default:
        throw BenchError.usage("unknown mode \(arguments[1])")
    }
}

do {
    try await main()
} catch {
    let text = Array("mailsrvbench: \(error)\n".utf8)
    _ = write(2, text, text.count)
    exit(1)
}
