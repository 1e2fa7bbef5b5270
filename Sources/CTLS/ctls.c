#include "ctls.h"
#include <string.h>

SSL_CTX *ctls_client_context(const char *ca_file) {
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (context == NULL) return NULL;
    if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1
        || SSL_CTX_load_verify_locations(context, ca_file, NULL) != 1) {
        SSL_CTX_free(context);
        return NULL;
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return context;
}

int ctls_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

int ctls_certificate_matches(X509 *certificate, const char *name) {
    unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
    return X509_check_host(certificate, name, strlen(name), flags, NULL) == 1;
}

int ctls_dns_names(X509 *certificate, char *buffer, size_t size) {
    GENERAL_NAMES *names = X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
    size_t used = 0;
    int count = 0;
    if (size > 0) buffer[0] = 0;
    if (names == NULL) return 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (name->type != GEN_DNS) continue;
        const unsigned char *data = ASN1_STRING_get0_data(name->d.dNSName);
        size_t length = (size_t)ASN1_STRING_length(name->d.dNSName);
        if (memchr(data, 0, length) != NULL) continue;   // an embedded NUL: not a name
        count++;
        if (used + length + 2 > size) continue;
        memcpy(buffer + used, data, length);
        used += length;
        buffer[used++] = '\n';
        buffer[used] = 0;
    }
    GENERAL_NAMES_free(names);
    return count;
}
