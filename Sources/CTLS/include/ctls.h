// The system OpenSSL (libssl-dev) for the tunnel of `mailsrvctl connect`, plus the few
// calls that OpenSSL defines as macros, which Swift cannot call.
#ifndef CTLS_H
#define CTLS_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// A client context: TLS 1.2 or later, peer verification against `ca_file` (PEM),
/// partial writes and moving write buffers allowed (non-blocking relay). NULL on error.
SSL_CTX *ctls_client_context(const char *ca_file);

/// Sets the SNI name of `ssl`; 1 on success.
int ctls_set_server_name(SSL *ssl, const char *name);

/// Whether `certificate` carries `name` as a DNS-ID in its subjectAltName, matched as
/// RFC 9525 says: the subject CN is never used, a wildcard only as the whole leftmost label.
int ctls_certificate_matches(X509 *certificate, const char *name);

/// The DNS-IDs of `certificate`'s subjectAltName, each followed by '\n', into `buffer`
/// (truncated to `size` - 1 bytes, NUL-terminated). Returns the number of names.
int ctls_dns_names(X509 *certificate, char *buffer, size_t size);

#endif
