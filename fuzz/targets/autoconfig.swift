// libFuzzer target: the autoconfig endpoint's request → reply (MailSRVDaemon
// AutoconfigRequest.route, AutoconfigReply.answer, ClientConfig's XML writer). Every local
// process may send it anything; every SRV answer puts a server's name into the document.
//
// The input is "METHOD\nTARGET\nHOST": a request line's method and target as NIOHTTP1
// hands them over, and an SRV target name that the document must carry.
//
// Properties checked beyond "no crash / no ASan report":
//   - a route is a lookup only for GET, and then for a domain that parses to itself;
//   - any other route is a 400, 404 or 405;
//   - the document's markup does not depend on the host name: exactly the tags of its
//     servers, every `&` starts one of the five entities, and the escaped name holds no
//     markup character.
import MailDiscovery
import MailSRVDaemon

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAutoconfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    let parts = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let method = parts[0], target = parts.count > 1 ? parts[1] : "", host = parts.count > 2 ? parts[2] : ""

    switch AutoconfigRequest.route(method: method, target: target) {
    case .reply(let reply):
        precondition([400, 404, 405].contains(reply.status), "status \(reply.status)")
    case .lookup(let domain):
        precondition(method == "GET", "a lookup for \(method)")
        precondition((try? MailAddress(parsing: domain))?.domain == domain, "domain \(domain) does not parse to itself")
    }

    let record = SRVRecord(priority: 0, weight: 0, port: 993, target: host)
    let endpoints = [MailService.imaps, .pop3].map { Endpoint(service: $0, record: record, ttl: 60, srvDNSSEC: .insecure) }
    let submission = Endpoint(service: .submission, record: record, ttl: 60, srvDNSSEC: .insecure)
    let result = { (candidates: [Endpoint]) in
        LookupResult(domain: "example.net", candidates: candidates, dnssec: .insecure, source: .dns, verifyNames: [])
    }
    let reply = AutoconfigReply.answer(domain: "example.net", retrieval: .success(result(endpoints)),
                                       submission: .success(result([submission])))
    precondition(reply.status == 200 && reply.contentType == "text/xml")
    let body = reply.body
    // 11 tags of the frame (the declaration included), 12 per server.
    let tags = 11 + 12 * 3
    precondition(body.utf8.count(where: { $0 == UInt8(ascii: "<") }) == tags, "markup changed by \(host.debugDescription)")
    precondition(body.utf8.count(where: { $0 == UInt8(ascii: ">") }) == tags, "markup changed by \(host.debugDescription)")
    // Byte-wise: an entity followed by a combining mark is one Character, but still an entity.
    let utf8 = Array(body.utf8)
    for (index, byte) in utf8.enumerated() where byte == UInt8(ascii: "&") {
        precondition(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains { utf8[index...].starts(with: $0.utf8) },
                     "bare & in \(body)")
    }
    return 0
}
