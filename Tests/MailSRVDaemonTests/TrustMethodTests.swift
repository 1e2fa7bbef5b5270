import MailSRVInterface
import Testing
import Varlink

/// `Trust`, `Untrust` and `ListTrusted` in process (CLIENTS.md §2): a confirmation widens
/// its uid's `verifyNames` where its host is the target, clears its failure marks on the
/// host, and a uid has a limit.
@Suite struct TrustMethodTests {
    private func lookup(_ email: String, want: String? = nil) -> DiscoveryInterface.Lookup {
        DiscoveryInterface.Lookup(email: email, want: want, clientHost: nil, resolve: nil)
    }

    private func acquire(_ email: String, want: String? = nil, alternatives: Bool? = nil) -> DiscoveryInterface.Acquire {
        DiscoveryInterface.Acquire(email: email, want: want, clientHost: nil, alternatives: alternatives)
    }

    @Test func aConfirmedTargetIsInThatUsersVerifyNamesWhereverItIsTheTarget() async throws {
        try await withDaemon { daemon async throws in
            #expect(try await daemon.reply(to: lookup("a@example.net")).verifyNames == ["example.net"])
            let trusted = try await daemon.reply(to: DiscoveryInterface.Trust(domain: "Example.NET.", host: "IMAP2.example.net"))
            #expect(trusted == DiscoveryInterface.TrustReply(domain: "example.net", host: "imap2.example.net", added: true))
            #expect(try await daemon.reply(to: DiscoveryInterface.Trust(domain: "example.net", host: "imap2.example.net")).added == false)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListTrusted()).trusted
                == [DiscoveryInterface.Trusted(domain: "example.net", host: "imap2.example.net")])

            #expect(try await daemon.reply(to: lookup("a@example.net")).verifyNames == ["example.net", "imap2.example.net"])
            #expect(try await daemon.reply(to: lookup("a@example.net", want: "pop3-group")).verifyNames == ["example.net"],
                    "only when the host is a candidate")
            #expect(try await daemon.reply(to: lookup("a@nopop.example.net")).verifyNames == ["nopop.example.net"],
                    "only for the domain it was confirmed for")
            #expect(try await daemon.reply(to: lookup("a@example.net"), uid: 1001).verifyNames == ["example.net"], "only for its uid")

            // Acquire and Report: only the endpoint's own host; a Route carries its own names.
            func expected(_ host: String) -> [String] {
                host == "imap2.example.net" ? ["example.net", "imap2.example.net"] : ["example.net"]
            }
            let acquired = try await daemon.reply(to: acquire("a@example.net", want: "imaps", alternatives: true))
            #expect(acquired.verifyNames == expected(acquired.endpoint.host))
            let routes = try #require(acquired.alternatives)
            #expect(routes.count == 4)
            for route in routes { #expect(route.verifyNames == expected(route.endpoint.host)) }
            var seen: Set<String> = []
            while case let report = await daemon.call(DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed")),
                  report.error == nil {
                let typed = try DiscoveryInterface.ReportReply(parameters: report.parameters)
                let host = try #require(typed.endpoint?.host)
                #expect(typed.verifyNames == expected(host))
                seen.insert(host)
            }
            #expect(seen.contains("imap2.example.net") && seen.contains("imap-backup.example.net"))

            let untrusted = try await daemon.reply(to: DiscoveryInterface.Untrust(domain: "example.net", host: "imap2.example.net"))
            #expect(untrusted == DiscoveryInterface.UntrustReply(domain: "example.net", host: "imap2.example.net", removed: true))
            #expect(try await daemon.reply(to: DiscoveryInterface.Untrust(domain: "example.net", host: "imap2.example.net")).removed == false)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListTrusted()).trusted.isEmpty)
            #expect(try await daemon.reply(to: lookup("a@example.net")).verifyNames == ["example.net"])
        }
    }

    @Test func trustClearsTheUsersFailureMarksOnThatHost() async throws {
        try await withDaemon { daemon async throws in
            let acquired = try await daemon.reply(to: acquire("a@nopop.example.net"))
            #expect(acquired.endpoint.host == "imap1.example.net")
            for _ in acquired.endpoint.addresses.dropLast() {
                _ = try await daemon.reply(to: DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
            }
            #expect(try await daemon.failure(DiscoveryInterface.Report(lease: acquired.lease, outcome: "failed"))
                == .exhausted(.init(domain: "nopop.example.net")))
            #expect(try await daemon.failure(acquire("a@nopop.example.net")) == .exhausted(.init(domain: "nopop.example.net")),
                    "marked failed")
            _ = try await daemon.reply(to: DiscoveryInterface.Trust(domain: "nopop.example.net", host: "imap1.example.net"))
            let again = try await daemon.reply(to: acquire("a@nopop.example.net"))
            #expect(again.endpoint.host == "imap1.example.net")
            #expect(again.verifyNames == ["nopop.example.net", "imap1.example.net"])
        }
    }

    @Test func badNamesAreInvalidParametersAndAUserHasALimit() async throws {
        try await withDaemon { daemon async throws in
            for (parameters, bad) in [(["domain": "exa mple.net", "host": "imap.example.net"], "domain"),
                                      (["domain": "example.net", "host": "a@imap.example.net"], "host"),
                                      (["domain": "example.net", "host": "imap..example.net"], "host"),
                                      (["domain": "example.net", "host": .int(3)], "host"),
                                      (["host": "imap.example.net"], "domain")] as [(JSONObject, String)] {
                for method in [DiscoveryInterface.Method.trust, .untrust] {
                    #expect(await daemon.varlinkError(VarlinkCall(method: method.qualifiedName, parameters: parameters))
                        == .invalidParameter(bad), "\(method) \(parameters)")
                }
            }
            for index in 0..<256 {
                let reply = try await daemon.reply(to: DiscoveryInterface.Trust(domain: "example.net", host: "m\(index).example.net"))
                try #require(reply.added, "\(index)")
            }
            #expect(try await daemon.failure(DiscoveryInterface.Trust(domain: "example.net", host: "m256.example.net"))
                == .tooManyRequests(.init()))
            #expect(try await daemon.reply(to: DiscoveryInterface.Trust(domain: "example.net", host: "m3.example.net")).added == false)
            #expect(try await daemon.reply(to: DiscoveryInterface.ListTrusted()).trusted.count == 256)
        }
    }
}
