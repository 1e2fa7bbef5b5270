/// The `dovecot.conf` of one test host (see `DovecotServer`).
enum DovecotConfig {
    static func text(_ options: DovecotServer.Options, directory d: String, ports: [UInt16]) -> String {
        let a = options.address
        let tls: String
        if let certificate = options.certificate {
            tls = """
                ssl = required
                ssl_cert = <\(certificate.certificateFile)
                ssl_key = <\(certificate.keyFile)
                disable_plaintext_auth = yes
                """
        } else {
            tls = """
                ssl = no
                disable_plaintext_auth = no
                """
        }
        let secure = options.certificate != nil
        return """
            base_dir = \(d)/run
            state_dir = \(d)/state
            instance_name = dovecot-\(a)-\(ports[0])
            log_path = \(d)/server.log
            listen = \(a)
            protocols = imap pop3
            \(tls)
            auth_mechanisms = plain login
            login_greeting = \(options.greeting)
            first_valid_uid = 1
            mail_privileged_group =
            mail_location = maildir:~/Maildir
            passdb {
              driver = passwd-file
              args = \(d)/users
            }
            userdb {
              driver = passwd-file
              args = \(d)/users
            }
            service imap-login {
              inet_listener imap {
                address = \(a)
                port = \(ports[0])
              }
              inet_listener imaps {
                address = \(a)
                port = \(secure ? ports[2] : 0)
                ssl = yes
              }
            }
            service pop3-login {
              inet_listener pop3 {
                address = \(a)
                port = \(ports[1])
              }
              inet_listener pop3s {
                address = \(a)
                port = \(secure ? ports[3] : 0)
                ssl = yes
              }
            }

            """
    }
}
