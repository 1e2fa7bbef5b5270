import CTLS
import Glibc

/// TLS over a non-blocking TCP socket, with the system OpenSSL: the certificate chain is
/// checked during the handshake against the trust store of `TLSContext`, the names after it
/// (`matchingName`), before any byte of the session reaches the client.
final class TLSTransport: Transport {
    let descriptor: Int32
    private let ssl: OpaquePointer

    /// - Parameter serverName: sent as SNI.
    init(descriptor: Int32, context: TLSContext, serverName: String) throws(TunnelError) {
        guard let ssl = SSL_new(context.context) else { throw .unavailable("SSL_new failed: \(TLSContext.lastError())") }
        self.ssl = ssl
        self.descriptor = descriptor
        SSL_set_fd(ssl, descriptor)
        _ = ctls_set_server_name(ssl, serverName)
    }

    deinit { SSL_free(ssl) }

    /// One step of the handshake: `.moved(1)` when it is done.
    func handshake() -> IOStep {
        ERR_clear_error()
        let result = SSL_connect(ssl)
        if result == 1 { return .moved(1) }
        return step(result, during: "handshake")
    }

    /// The first name of `names` the server's certificate carries (RFC 9525 DNS-ID), or nil.
    func matchingName(_ names: [String]) -> String? {
        guard let certificate = SSL_get0_peer_certificate(ssl) else { return nil }
        return names.first { ctls_certificate_matches(certificate, $0) == 1 }
    }

    /// The DNS-IDs the server's certificate carries.
    func certificateNames() -> [String] {
        guard let certificate = SSL_get0_peer_certificate(ssl) else { return [] }
        var buffer = [CChar](repeating: 0, count: 4096)
        _ = ctls_dns_names(certificate, &buffer, buffer.count)
        return cString(buffer).split(separator: "\n").map(String.init)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOStep {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? .moved(Int(n)) : step(n, during: "read")
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOStep {
        ERR_clear_error()
        let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        return n > 0 ? .moved(Int(n)) : step(n, during: "write")
    }

    /// Sends close_notify, then ends the TCP sending side.
    func shutdownWrite() -> IOStep {
        ERR_clear_error()
        let result = SSL_shutdown(ssl)
        if result < 0 {
            let step = step(result, during: "shutdown")
            if step == .wantRead || step == .wantWrite { return step }
        }
        return Glibc.shutdown(descriptor, Int32(SHUT_WR)) == 0 ? .moved(1) : .failed(String(cString: strerror(errno)))
    }

    func close() { Glibc.close(descriptor) }

    private func step(_ result: Int32, during what: String) -> IOStep {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
            return errno == 0 ? .failed("connection closed during TLS \(what)")
                              : .failed("TLS \(what): \(String(cString: strerror(errno)))")
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                return .failed("certificate not trusted: \(String(cString: X509_verify_cert_error_string(verify)))")
            }
            return .failed("TLS \(what) failed: \(TLSContext.lastError())")
        }
    }
}

/// The OpenSSL client context: TLS 1.2+, the trust store (`--ca-file`, else the system's).
final class TLSContext {
    /// Debian's bundle of the system's trusted CAs.
    static let systemTrustStore = "/etc/ssl/certs/ca-certificates.crt"

    let context: OpaquePointer

    init(caFile: String?) throws(TunnelError) {
        let file = caFile ?? Self.systemTrustStore
        guard let context = ctls_client_context(file) else {
            throw .usage("cannot load the trust store \(file): \(Self.lastError())")
        }
        self.context = context
    }

    deinit { SSL_CTX_free(context) }

    /// OpenSSL's newest queued error, in words.
    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return cString(buffer)
    }
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
