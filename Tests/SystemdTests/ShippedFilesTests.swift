import Foundation
import Testing
@testable import Systemd

/// What the shipped units and config must say, read as text.
@Suite struct ShippedFiles {
    func text(_ path: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// `Key=Value` lines (comments skipped), in order.
    func assignments(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { line in
            let line = line.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    @Test func socketUnit() throws {
        let socket = assignments(try text("systemd/mailsrvd.socket"))
        func value(_ key: String) -> String? { socket.last { $0.key == key }?.value }
        #expect(value("ListenStream") == "/run/mailsrvd/io.mailsrvd.Discovery")
        #expect(value("SocketMode") == "0666")
        #expect(value("FileDescriptorName") == ListenFDs.varlinkName)
        #expect(value("WantedBy") == "sockets.target")
        #expect(value("DirectoryMode") == "0755", "every user must reach the socket")
    }

    /// The autoconfig socket: loopback, named for the daemon, triggering the one service;
    /// the Thunderbird preference points at its port.
    @Test func autoconfigSocketUnitAndThunderbirdPreference() throws {
        let socket = assignments(try text("systemd/mailsrvd-autoconfig.socket"))
        func value(_ key: String) -> String? { socket.last { $0.key == key }?.value }
        #expect(value("ListenStream") == "127.0.0.1:8186")
        #expect(value("FileDescriptorName") == ListenFDs.autoconfigName)
        #expect(value("Service") == "mailsrvd.service")
        #expect(value("WantedBy") == "sockets.target")
        let preference = try text("config/thunderbird-mailsrvd.js").split(separator: "\n").filter { !$0.hasPrefix("//") }
        #expect(preference == [#"pref("mailnews.auto_config_url", "http://127.0.0.1:8186/v1.1/");"#])
    }

    @Test func serviceUnit() throws {
        let service = assignments(try text("systemd/mailsrvd.service"))
        func value(_ key: String) -> String? { service.last { $0.key == key }?.value }
        #expect(value("Type") == "notify")
        #expect(value("ExecStart") == "/usr/local/bin/mailsrvd")
        #expect(value("ExecReload") == "/bin/kill -HUP $MAINPID")
        #expect(value("WatchdogSec") == "30s")
        #expect(value("DynamicUser") == "yes")
        // /run/mailsrvd is the socket unit's: a DynamicUser RuntimeDirectory=mailsrvd would
        // be removed on stop, or (preserved) moved behind /run/private, 0700.
        #expect(value("RuntimeDirectory") == nil)
        #expect(value("StateDirectory") == "mailsrvd")
        #expect(value("CacheDirectory") == "mailsrvd")
        #expect(value("ConfigurationDirectory") == "mailsrvd")
        #expect(value("RestrictAddressFamilies") == "AF_UNIX AF_INET AF_INET6")
        #expect(value("Also") == "mailsrvd.socket")
        // Swift concurrency needs setpriority: it must be allowed after any deny list.
        let filters = service.filter { $0.key == "SystemCallFilter" }.map(\.value)
        #expect(filters.first == "@system-service")
        let lastDeny = filters.lastIndex { $0.hasPrefix("~") }
        let allowed = filters.lastIndex { !$0.hasPrefix("~") && $0.split(separator: " ").contains("setpriority") }
        #expect(allowed != nil && (lastDeny == nil || allowed! > lastDeny!))
        // Per-uid policy needs the real client uids: no private user namespace.
        #expect(value("PrivateUsers") != "yes")
    }

    /// Every key of the daemon's `ConfigFile.settings` is in config/mailsrvd.conf, commented
    /// out, under [Discovery]; nothing else is.
    @Test func configListsEveryKey() throws {
        let source = try text("Sources/MailSRVDaemon/ConfigFile.swift")
        let table = try #require(source.range(of: "static let settings")).upperBound
        let tableEnd = try #require(source.range(of: "\n    ]", range: table..<source.endIndex)).lowerBound
        let keys = Set(source[table..<tableEnd].split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("\""), let end = trimmed.dropFirst().firstIndex(of: "\"") else { return nil }
            return String(trimmed[trimmed.index(after: trimmed.startIndex)..<end])
        })
        #expect(keys.count >= 19)

        let config = try text("config/mailsrvd.conf")
        let lines = config.split(separator: "\n").map(String.init)
        #expect(lines.contains("[Discovery]"))
        #expect(assignments(config).isEmpty, "every setting is commented out at its default")
        let commented = Set(lines.compactMap { line -> String? in
            guard line.hasPrefix("#"), !line.hasPrefix("# "), let equals = line.firstIndex(of: "=") else { return nil }
            return String(line.dropFirst()[..<equals])
        })
        #expect(commented == keys)
        #expect(config.contains("/etc/mailsrvd/mailsrvd.conf.d/*.conf"))
    }

    /// mailsrvd.conf(5), written by hand, has an entry for every key of config/mailsrvd.conf
    /// that gives the shipped default and says whether a reload applies the key.
    @Test func configPageDescribesEveryKey() throws {
        let page = try text("man/mailsrvd.conf.5")
        // Entries start with `.It Va Key Ns =` and end at the next `.It` or `.El`.
        var entries: [String: String] = [:]
        var current: String?
        for line in page.split(separator: "\n").map(String.init) {
            if line.hasPrefix(".It Va "), let key = line.dropFirst(7).split(separator: " ").first {
                current = String(key)
                entries[String(key)] = ""
            } else if line.hasPrefix(".It") || line.hasPrefix(".El") {
                current = nil
            } else if let key = current {
                entries[key]! += line + "\n"
            }
        }
        let defaults = try text("config/mailsrvd.conf").split(separator: "\n").compactMap { line -> (String, String)? in
            guard line.hasPrefix("#"), !line.hasPrefix("# "), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line.dropFirst()[..<equals]), String(line[line.index(after: equals)...]))
        }
        #expect(defaults.count >= 19)
        #expect(Set(entries.keys) == Set(defaults.map(\.0)), "the page describes exactly the shipped keys")
        for (key, value) in defaults {
            let entry = try #require(entries[key], "man/mailsrvd.conf.5 has no entry for \(key)= (add one)")
            // The default follows "Default:", as text, a literal (.Li) or a keyword (.Cm, .Pa).
            let flat = entry.replacingOccurrences(of: "\n.Li ", with: " ").replacingOccurrences(of: "\n.Cm ", with: " ")
                .replacingOccurrences(of: "\n.Pa ", with: " ")
            #expect(flat.contains("Default: " + (value.isEmpty ? "empty" : value)), "\(key)= does not say its default \(value)")
            #expect(entry.contains("Reload: applied") != entry.contains("Restart needed."),
                    "\(key)= does not say whether a reload applies it")
        }
    }
}
