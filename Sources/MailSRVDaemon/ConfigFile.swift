import FoundationEssentials
import Glibc
import MailDiscovery
import Resolver

/// A bad line in a config file: the daemon refuses to start on it and names it.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String?
    public var problem: String

    public var description: String {
        "\(file):\(line): " + (key.map { "\($0): " } ?? "") + problem
    }
}

/// The config file, in systemd's style (`resolved.conf`): one `[Discovery]` section of
/// `Key=Value` lines; `#` and `;` start comments; durations are seconds or take a unit
/// (`ms`, `s`, `min`, `h`, `d`). Drop-ins in `FILE.d/*.conf` are read after it, in
/// lexical order, each overriding the keys it sets.
public enum ConfigFile {
    public static let section = "Discovery"

    /// Applies `path` and its drop-ins to `configuration`. A missing main file is an error
    /// only when `required`.
    public static func apply(_ path: String, to configuration: inout DaemonConfiguration, required: Bool) throws {
        if FileManager.default.fileExists(atPath: path) {
            try applyOne(path, to: &configuration)
        } else if required {
            throw ConfigError(file: path, line: 0, key: nil, problem: "no such file")
        }
        let dropInDirectory = path + ".d"
        let dropIns = (try? FileManager.default.contentsOfDirectory(atPath: dropInDirectory)) ?? []
        for name in dropIns.filter({ $0.hasSuffix(".conf") }).sorted() {
            try applyOne("\(dropInDirectory)/\(name)", to: &configuration)
        }
    }

    static func applyOne(_ path: String, to configuration: inout DaemonConfiguration) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = access(path, R_OK) == 0 ? "not UTF-8 text" : String(cString: strerror(errno))
            throw ConfigError(file: path, line: 0, key: nil, problem: "cannot be read: \(reason)")
        }
        try parse(text, file: path, into: &configuration)
    }

    /// Parses `text` (named `file` in errors) into `configuration`.
    public static func parse(_ text: String, file: String, into configuration: inout DaemonConfiguration) throws {
        var inSection = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.trimmed
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line == "[\(section)]" else {
                    throw ConfigError(file: file, line: number, key: nil, problem: "unknown section \(line), expected [\(section)]")
                }
                inSection = true
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: number, key: nil, problem: "expected Key=Value")
            }
            let key = line[..<equals].trimmed
            let value = line[line.index(after: equals)...].trimmed
            guard inSection else {
                throw ConfigError(file: file, line: number, key: key, problem: "outside the [\(section)] section")
            }
            guard let setting = settings[key] else {
                throw ConfigError(file: file, line: number, key: key, problem: "unknown key")
            }
            do {
                try setting(value, &configuration)
            } catch let problem as ValueProblem {
                throw ConfigError(file: file, line: number, key: key, problem: problem.text)
            }
        }
    }

    struct ValueProblem: Error { var text: String }

    typealias Setting = @Sendable (String, inout DaemonConfiguration) throws -> Void

    /// Every key, and what it sets. `config/mailsrvd.conf` lists them with their defaults.
    static let settings: [String: Setting] = [
        "DNS": { value, config in
            config.resolver.upstreams = value.split(whereSeparator: \.isWhitespace).map(String.init)
        },
        "DNSSEC": { value, config in
            config.resolver.dnssec = try choice(value, DNSSECMode.self)
        },
        "TrustAnchor": { value, config in
            config.resolver.trustAnchorFile = value.isEmpty ? nil : value
        },
        "QueryTimeout": { value, config in
            config.resolver.queryTimeout = .milliseconds(Int64(try seconds(value) * 1000))
        },
        "Socket": { value, config in config.socketPath = value.isEmpty ? nil : value },
        "StateDirectory": { value, config in config.stateDirectory = value.isEmpty ? nil : value },
        "CacheDirectory": { value, config in config.cacheDirectory = value.isEmpty ? nil : value },
        "LogLevel": { value, config in config.logLevel = try logLevel(value) },
        "RetrievalOrder": { value, config in config.retrievalOrder = try choice(value, RetrievalOrder.self) },
        "CacheMaxNames": { value, config in config.cache.maxEntries = try count(value) },
        "NegativeCacheMax": { value, config in config.cache.negativeTTLCap = UInt32(try seconds(value)) },
        "StaleMaxAge": { value, config in config.cache.staleMaxAge = try seconds(value) },
        "FailureMemory": { value, config in config.failureMemory = try seconds(value) },
        "PinGrace": { value, config in config.pinGrace = try seconds(value) },
        "SaveInterval": { value, config in config.saveInterval = try seconds(value, minimum: 1) },
        "MaxConnectionsPerUser": { value, config in config.limits.connectionsPerUser = try count(value) },
        "MaxLeasesPerUser": { value, config in config.limits.leasesPerUser = try count(value) },
        "MaxCallsPerUser": { value, config in config.limits.callsInFlightPerUser = try count(value) },
        "IdleTimeout": { value, config in config.limits.idleTimeout = try seconds(value, minimum: 1) },
        "AutoconfigListen": { value, config in
            do {
                config.autoconfigListen = value.isEmpty ? nil : try AutoconfigAddress(parsing: value)
            } catch let error as AutoconfigAddressError {
                throw ValueProblem(text: error.problem)
            }
        },
    ]

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static func logLevel(_ value: String) throws -> String {
        guard logLevels.contains(value) else {
            throw ValueProblem(text: "'\(value)' is not one of \(logLevels.joined(separator: ", "))")
        }
        return value
    }

    static func choice<T: RawRepresentable & CaseIterable>(_ value: String, _: T.Type) throws -> T where T.RawValue == String {
        guard let parsed = T(rawValue: value) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValueProblem(text: "'\(value)' is not one of \(allowed)")
        }
        return parsed
    }

    static func count(_ value: String) throws -> Int {
        guard let number = Int(value), number > 0 else {
            throw ValueProblem(text: "'\(value)' is not a positive whole number")
        }
        return number
    }

    /// A duration in seconds: `300`, `300s`, `5min`, `2h`, `1d`, `500ms`.
    static func seconds(_ value: String, minimum: Double = 0) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("min", 60), ("s", 1), ("h", 3600), ("d", 86_400)]
        var number = Substring(value)
        var scale = 1.0
        if let unit = units.first(where: { value.hasSuffix($0.0) }) {
            number = value.dropLast(unit.0.count)
            scale = unit.1
        }
        guard let parsed = Double(number), parsed.isFinite, parsed * scale >= minimum else {
            throw ValueProblem(text: "'\(value)' is not a duration (e.g. 30s, 10min, 1d)")
        }
        return parsed * scale
    }
}

extension Substring {
    /// Without whitespace at either end.
    fileprivate var trimmed: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
