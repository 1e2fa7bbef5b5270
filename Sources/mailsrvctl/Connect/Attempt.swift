import Glibc

/// One connection attempt to a route, driven step by step without blocking: TCP connect,
/// the plaintext STARTTLS exchanges, the TLS handshake, the certificate's names, the
/// greeting over implicit TLS. Ends `connected` (with the bytes the client sees first) or
/// `failed` with a reason, by its deadline at the latest.
final class Attempt {
    enum State {
        case connecting
        case exchanging(index: Int, sent: Bool)
        case handshaking
        case greeting
        case connected(Transport, greeting: [UInt8])
        case failed(String)
    }

    /// What the tunnel needs of the server.
    struct Policy {
        var raw: Bool
        var verifyNames: [String]
        var clientName: String
        var tls: TLSContext?
        /// The limit of one attempt, from its start to its greeting.
        var timeout: Duration = .seconds(15)
    }

    /// Longest line a server may send before the session (the IMAP greeting with its capabilities).
    static let maxLine = 8192
    /// Most lines in one reply (SMTP's EHLO).
    static let maxLines = 100

    let route: Route
    private(set) var state: State = .connecting
    /// Whether the TCP connection is made (RFC 8305: then no further attempt is started for time).
    private(set) var tcpConnected = false
    /// The poll events this attempt waits for.
    private(set) var events: Int16 = Int16(POLLOUT)
    let deadline: ContinuousClock.Instant
    /// Set when the certificate was valid but for its name, and names the route's host (the SRV target).
    private(set) var certificateNamesTarget = false

    private let policy: Policy
    private let mailProtocol: MailProtocol
    private let descriptor: Int32
    private var plain: PlainTransport
    private var tlsTransport: TLSTransport?
    private var received: [UInt8] = []
    private var lines: [String] = []

    init(route: Route, policy: Policy) {
        self.route = route
        self.policy = policy
        mailProtocol = MailProtocol(service: route.service) ?? .imap
        deadline = .now + policy.timeout
        descriptor = Attempt.startConnect(route)
        plain = PlainTransport(descriptor: descriptor)
        if descriptor < 0 { state = .failed("cannot connect: \(String(cString: strerror(errno)))") }
    }

    var fd: Int32 { descriptor }
    var isFinished: Bool {
        switch state {
        case .connected, .failed: true
        default: false
        }
    }

    /// Closes the socket of an attempt that lost the race or failed.
    func abandon() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        state = .failed("abandoned")
    }

    /// Does what can be done now; call when its socket is ready or its deadline passed.
    func advance() {
        while true {
            if isFinished { return }
            if ContinuousClock.now >= deadline {
                fail(tcpConnected ? "no answer within \(policy.timeout)" : "connection timed out")
                return
            }
            switch step() {
            case .progress: continue
            case .wait(let events): self.events = events; return
            }
        }
    }

    private enum Progress { case progress, wait(Int16) }

    private func step() -> Progress {
        switch state {
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { fail(String(cString: strerror(error))); return .progress }
            var pfd = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&pfd, 1, 0) == 1 else { return .wait(Int16(POLLOUT)) }
            tcpConnected = true
            if policy.raw {
                state = .connected(plain, greeting: [])
            } else if route.tls == "implicit" {
                return startTLS()
            } else {
                state = .exchanging(index: 0, sent: false)
            }
            return .progress
        case .exchanging(let index, let sent):
            let exchanges = mailProtocol.startTLS(clientName: policy.clientName)
            let exchange = exchanges[index]
            if !sent, let command = exchange.command {
                // A command is a few bytes: one send on a fresh connection takes it whole.
                guard case .moved(let n) = command.utf8CString.dropLast().withUnsafeBytes({ plain.write($0) }),
                      n == command.utf8.count else {
                    fail("cannot send \(command.split(separator: " ").first ?? "")"); return .progress
                }
            }
            state = .exchanging(index: index, sent: true)
            switch readReply(from: plain, tagged: exchange.command != nil) {
            case .wait(let events): return .wait(events)
            case .progress:
                if isFinished { return .progress }
                if let problem = exchange.check(lines) { fail(problem); return .progress }
                lines = []
                if index + 1 < exchanges.count {
                    state = .exchanging(index: index + 1, sent: false)
                    return .progress
                }
                guard received.isEmpty else { fail("sent data after its STARTTLS answer"); return .progress }
                return startTLS()
            }
        case .handshaking:
            guard let tls = tlsTransport else { return .progress }
            switch tls.handshake() {
            case .moved:
                guard tls.matchingName(policy.verifyNames) != nil else {
                    certificateNamesTarget = tls.matchingName([route.host]) != nil
                    let names = tls.certificateNames()
                    fail("the certificate names \(names.isEmpty ? "no DNS name" : names.joined(separator: ", ")), "
                         + "not \(policy.verifyNames.joined(separator: " or "))")
                    return .progress
                }
                if route.tls == "implicit" {
                    state = .greeting
                } else {
                    state = .connected(tls, greeting: Array(mailProtocol.synthesizedGreeting(host: route.host).utf8))
                }
                return .progress
            case .wantRead: return .wait(Int16(POLLIN))
            case .wantWrite: return .wait(Int16(POLLOUT))
            case .closed: fail("connection closed during the TLS handshake"); return .progress
            case .failed(let reason): fail(reason); return .progress
            }
        case .greeting:
            guard let tls = tlsTransport else { return .progress }
            switch readReply(from: tls, tagged: false) {
            case .wait(let events): return .wait(events)
            case .progress:
                if isFinished { return .progress }
                if let problem = mailProtocol.implicitGreeting(lines) { fail(problem); return .progress }
                state = .connected(tls, greeting: greetingBytes + received)
                return .progress
            }
        case .connected, .failed:
            return .progress
        }
    }

    /// The raw bytes of the lines read so far (the implicit-TLS greeting, passed on as is).
    private var greetingBytes: [UInt8] = []

    private func startTLS() -> Progress {
        guard let context = policy.tls else { fail("no TLS context"); return .progress }
        (lines, greetingBytes) = ([], [])
        do {
            tlsTransport = try TLSTransport(descriptor: descriptor, context: context, serverName: route.host)
            state = .handshaking
        } catch {
            fail("\(error)")
        }
        return .progress
    }

    /// Reads lines into `lines` until the reply is complete or the attempt failed (`.progress`),
    /// or says what to wait for.
    private func readReply(from transport: Transport, tagged: Bool) -> Progress {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                let line = received[..<newline]
                greetingBytes += received[...newline]
                received.removeSubrange(...newline)
                lines.append(String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self))
                if mailProtocol.replyComplete(lines, tagged: tagged) { return .progress }
                if lines.count > Self.maxLines { fail("more than \(Self.maxLines) lines in one reply"); return .progress }
            }
            if received.count > Self.maxLine { fail("a line longer than \(Self.maxLine) bytes"); return .progress }
            let step = chunk.withUnsafeMutableBytes { transport.read(into: $0) }
            switch step {
            case .moved(let n): received += chunk[..<n]
            case .wantRead: return .wait(Int16(POLLIN))
            case .wantWrite: return .wait(Int16(POLLOUT))
            case .closed: fail(lines.isEmpty && received.isEmpty ? "closed the connection without a greeting"
                                                                  : "closed the connection"); return .progress
            case .failed(let reason): fail(reason); return .progress
            }
        }
    }

    private func fail(_ reason: String) {
        if descriptor >= 0 { Glibc.close(descriptor) }
        state = .failed(reason)
    }

    /// A non-blocking socket connecting to the route's address; -1 on an immediate error.
    private static func startConnect(_ route: Route) -> Int32 {
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if route.address.contains(":") {
            family = AF_INET6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            let ok = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sa in
                    sa.pointee.sin6_family = sa_family_t(AF_INET6)
                    sa.pointee.sin6_port = UInt16(route.port).bigEndian
                    return inet_pton(AF_INET6, route.address, &sa.pointee.sin6_addr) == 1
                }
            }
            guard ok else { errno = EINVAL; return -1 }
        } else {
            family = AF_INET
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sa in
                    sa.pointee.sin_family = sa_family_t(AF_INET)
                    sa.pointee.sin_port = UInt16(route.port).bigEndian
                    return inet_pton(AF_INET, route.address, &sa.pointee.sin_addr) == 1
                }
            }
            guard ok else { errno = EINVAL; return -1 }
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        if result != 0 && errno != EINPROGRESS {
            let saved = errno
            Glibc.close(fd)
            errno = saved
            return -1
        }
        return fd
    }
}
