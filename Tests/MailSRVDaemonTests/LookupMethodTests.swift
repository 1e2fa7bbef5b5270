import MailSRVInterface
import Testing
import Varlink

/// `Lookup`, `Flush` and `Stats` in process (PROTOCOL.md), time moved by hand.
@Suite struct LookupMethodTests {
    private func lookup(_ email: String, want: String? = nil, resolve: Bool? = nil) -> DiscoveryInterface.Lookup {
        DiscoveryInterface.Lookup(email: email, want: want, clientHost: nil, resolve: resolve)
    }

    @Test func aRepeatedLookupIsAnsweredFromTheCacheUntilATTLRunsOut() async throws {
        try await withDaemon { daemon in
            let first = try await daemon.reply(to: lookup("a@example.net", want: "imaps"))
            #expect(first.source == "dns")
            let queries = try await daemon.reply(to: DiscoveryInterface.Stats()).dnsQueries
            // imap2's A record has the shortest TTL of an address (120 s); the shortest of
            // all is imap-backup's missing AAAA (NODATA, negative TTL 60 s).
            let imap2 = try #require(first.candidates.first { $0.host == "imap2.example.net" })
            #expect(imap2.ttl == 120)

            daemon.time.advance(by: 50)
            let cached = try await daemon.reply(to: lookup("a@example.net", want: "imaps"))
            #expect(cached.source == "cache")
            #expect(cached.candidates.first { $0.host == "imap2.example.net" }?.ttl == 70)
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).dnsQueries == queries)

            daemon.time.advance(by: 11)
            let renewed = try await daemon.reply(to: lookup("a@example.net", want: "imaps"))
            #expect(renewed.source == "dns")
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).dnsQueries > queries)
        }
    }

    @Test func lookupAnswersTheOrderedCandidatesOfTheTestZone() async throws {
        try await withDaemon { daemon in
            let reply = try await daemon.reply(to: lookup("alice@example.net", want: "submission"))
            #expect(reply.domain == "example.net" && reply.source == "dns" && reply.dnssec == "insecure")
            #expect(reply.verifyNames == ["example.net"])
            let summary = reply.candidates.map { "\($0.service) \($0.host):\($0.port)" }
            #expect(Set(summary.prefix(2)) == ["submissions smtp1.example.net:465", "submissions smtp2.example.net:465"])
            #expect(Array(summary.dropFirst(2)) == ["submission smtp1.example.net:587", "submission smtp2.example.net:2525",
                                                    "submission smtp2.example.net:25", "submission smtp-backup.example.net:587"])
            let first = try #require(reply.candidates.first)
            #expect(first.tls == "implicit" && first.priority == 0 && first.weight == 1 && first.ttl == 600)
            #expect(try await daemon.reply(to: lookup("bob@example.net", want: "submission")).source == "cache")
            let stats = try await daemon.reply(to: DiscoveryInterface.Stats())
            #expect(stats.cacheHits > 0 && stats.dnsQueries >= 6 && stats.cachedNames >= 6)
        }
    }

    @Test func wantAndResolveShapeTheAnswer() async throws {
        try await withDaemon { daemon in
            let submission = try await daemon.reply(to: lookup("a@example.net", want: "submission"))
            #expect(Set(submission.candidates.map(\.service)) == ["submissions", "submission"])
            let bare = try await daemon.reply(to: lookup("example.net", want: "imap", resolve: false))
            #expect(bare.candidates.map(\.host) == ["imap1.example.net", "noaddr.example.net"])
            #expect(bare.candidates.allSatisfy { $0.addresses.isEmpty })
            let idn = try await daemon.reply(to: lookup("user@bücher.example.net", want: "imaps"))
            #expect(idn.domain == "xn--bcher-kva.example.net")
        }
    }

    @Test func badParametersAreInvalidParameter() async throws {
        try await withDaemon { daemon in
            let method = DiscoveryInterface.Method.lookup.qualifiedName
            #expect(await daemon.varlinkError(VarlinkCall(method: method)) == .invalidParameter("email"))
            #expect(await daemon.varlinkError(VarlinkCall(method: method, parameters: ["email": 5])) == .invalidParameter("email"))
            #expect(await daemon.varlinkError(VarlinkCall(method: method, parameters: ["email": "a@example.net", "want": "ftp"]))
                == .invalidParameter("want"))
            #expect(await daemon.varlinkError(VarlinkCall(method: method, parameters: ["email": "a@example.net", "resolve": "no"]))
                == .invalidParameter("resolve"))
            #expect(await daemon.varlinkError(VarlinkCall(method: "io.mailsrvd.Discovery.Frobnicate"))
                == .methodNotFound("io.mailsrvd.Discovery.Frobnicate"))
        }
    }

    @Test func flushIsRootsAndDropsOneDomainOrAll() async throws {
        try await withDaemon { daemon in
            _ = try await daemon.reply(to: lookup("a@example.net"))
            _ = try await daemon.reply(to: lookup("a@nopop.example.net"))
            #expect(try await daemon.failure(DiscoveryInterface.Flush(domain: "example.net"), uid: 1000) == .permissionDenied(.init()))
            #expect(await daemon.varlinkError(VarlinkCall(DiscoveryInterface.Flush(domain: "not a domain")), uid: 0)
                == .invalidParameter("domain"))
            let before = try await daemon.reply(to: DiscoveryInterface.Stats()).cachedNames
            let nopop = try await daemon.reply(to: DiscoveryInterface.Flush(domain: "a@NOPOP.example.net"), uid: 0).flushed
            #expect(nopop > 0)
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).cachedNames == before - nopop)
            #expect(try await daemon.reply(to: lookup("a@nopop.example.net")).source == "dns")
            #expect(try await daemon.reply(to: lookup("a@example.net")).source == "cache")
            let rest = try await daemon.reply(to: DiscoveryInterface.Flush(domain: nil), uid: 0).flushed
            #expect(rest == before)
            #expect(try await daemon.reply(to: DiscoveryInterface.Stats()).cachedNames == 0)
        }
    }

    @Test func aUidOverItsCallLimitIsTooManyRequests() async throws {
        try await withDaemon(configure: { $0.limits.callsInFlightPerUser = 0 }) { daemon async throws in
            #expect(try await daemon.failure(lookup("a@example.net")) == .tooManyRequests(.init()))
            #expect(try await daemon.failure(DiscoveryInterface.Stats(), uid: 0) == .tooManyRequests(.init()))
            // The same on the event loop's path.
            let immediate = daemon.service.answerImmediately(VarlinkCall(DiscoveryInterface.Stats()),
                                                             context: VarlinkConnectionContext(id: 1, peerUID: 0))
            #expect(immediate?.varlinkError == DiscoveryInterface.TooManyRequests().varlinkError)
        }
    }
}
