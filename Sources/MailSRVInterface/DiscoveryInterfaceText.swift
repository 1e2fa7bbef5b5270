extension DiscoveryInterface {
    /// The text of `io.mailsrvd.Discovery.varlink` (next to this file, installed to
    /// share/varlink by `make install`), served by `GetInterfaceDescription`. The `.varlink`
    /// file is the source: change it, then paste it here; a test checks that the two are the
    /// same and that the Swift types of this module declare exactly its members. A literal
    /// rather than a SwiftPM resource: resources link all of Foundation (about 6 MiB more
    /// resident memory).
    public static let text = #"""
# Finds the IMAP, POP3 and submission servers of an email address's domain from
# DNS SRV records (RFC 6186, RFC 8314, RFC 2782), caches them for their TTL, and
# pins each user's active connections to one server so further ones reuse it.
interface io.mailsrvd.Discovery

# One way to reach a mail service.
type Endpoint (
  service: string,      # imaps | imap | pop3s | pop3 | submissions | submission
  tls: string,          # "implicit" (TLS from the first byte) | "starttls"
  host: string,         # SRV target, lower case A-label form, no trailing dot
  port: int,
  priority: int,
  weight: int,
  addresses: []string,  # the target's IPv6/IPv4 addresses, in the order to try
  ttl: int              # seconds left of the shorter of its SRV and address records (0 when stale)
)

type Lease (
  lease: string,
  email: string,
  want: string,
  endpoint: Endpoint,
  address: string,
  state: string         # "pending" | "connected"
)

# One (endpoint, address) of a lease's order of candidates, and the names its
# server certificate may present (as Acquire's verifyNames for its own tuple).
type Route (
  endpoint: Endpoint,
  address: string,
  verifyNames: []string
)

# A confirmation by the caller: host serves mail for domain (RFC 6186 §6).
type Trusted (
  domain: string,       # A-label form, like every name below
  host: string
)

# All usable endpoints for the address, best first. Reads the cache; asks DNS
# only for what is missing or expired.
method Lookup(
  email: string,        # "user@example.net", or a bare domain "example.net"
  want: ?string,        # "retrieval" (default) | "submission" | "imap-group" | "pop3-group"
                        # | imaps | imap | pop3s | pop3 | submissions  (groups: CLIENTS.md §1)
  clientHost: ?string,  # FQDN for the same-subdomain preference; default: this host's
  resolve: ?bool        # also resolve target addresses (default true)
) -> (
  domain: string,       # the mail domain, A-label (punycode) form
  candidates: []Endpoint,
  dnssec: string,       # "secure" | "insecure" | "bogus" (DESIGN.md §1.8)
  source: string,       # "dns" | "cache" | "stale"
  verifyNames: []string # names the server certificate may present (RFC 7817)
)

# One endpoint and one address to connect to now, held until released. While the
# caller's uid holds any lease for the same domain and want, every Acquire returns
# that same (host, port, address) with reused = true and issues no DNS query.
# With alternatives = true the reply also lists the rest of the lease's order
# after the returned tuple, without the tuples this uid has marked failed (at
# most 16), for a client that races candidates (RFC 8305: 250 ms apart).
method Acquire(email: string, want: ?string, clientHost: ?string, alternatives: ?bool) -> (
  lease: string,        # opaque, unguessable
  endpoint: Endpoint,
  address: string,
  reused: bool,
  verifyNames: []string,
  alternatives: ?[]Route
)

# outcome "connected": the connection works. outcome "failed": it could not be
# made; the tuple is marked failed for this uid and the lease moves to the next
# one (next address of the same host, then the next host, then — for retrieval —
# the POP3 services), which is returned. Error Exhausted when none is left.
# With host, port and address (all three; a tuple of the lease's order, else
# InvalidParameter "host") the report is about that tuple: "failed" marks it
# failed for this uid and moves the lease only if it is the lease's own tuple;
# "connected" moves the lease and the uid's pin to it.
method Report(
  lease: string,
  outcome: string,      # "connected" | "failed"
  host: ?string,
  port: ?int,
  address: ?string
) -> (endpoint: ?Endpoint, address: ?string, verifyNames: ?[]string)

method Release(lease: string) -> ()

# The caller's own leases.
method ListLeases() -> (leases: []Lease)

# Drops cached records (one domain, or all). uid 0 only.
method Flush(domain: ?string) -> (flushed: int)

# The caller (this uid only) accepts host as a server of domain: from now on its
# verifyNames for domain include host wherever host is the target (Lookup: a
# candidate's; Acquire, Report, Route: the endpoint's), and its failure marks on
# host are forgotten. Kept across restarts; at most 256 per uid (TooManyRequests).
# added is false when the confirmation was there already.
method Trust(domain: string, host: string) -> (domain: string, host: string, added: bool)

# Withdraws a confirmation; removed is false when there was none.
method Untrust(domain: string, host: string) -> (domain: string, host: string, removed: bool)

# The caller's own confirmations, sorted by domain, then host.
method ListTrusted() -> (trusted: []Trusted)

# Counters of the whole daemon; nothing that names a user or an address.
method Stats() -> (
  cachedNames: int, cacheHits: int, cacheMisses: int, staleServed: int,
  dnsQueries: int, clients: int, leases: int, uptimeSeconds: int
)

error InvalidAddress(email: string)              # not an email address or domain name
error NoService(domain: string, want: string)    # no SRV records, or only "." targets
error ResolutionFailed(domain: string, reason: string)  # timeout, SERVFAIL, DNSSEC bogus in strict mode
error Exhausted(domain: string)                  # every candidate has been reported failed
error NoSuchLease(lease: string)                 # unknown, released, or another uid's
error PermissionDenied()
error TooManyRequests()                          # a per-uid limit was hit

"""#
}
