import MailDiscovery
import Varlink

/// PROTOCOL.md's types written as Varlink parameters, member by member in PROTOCOL.md's
/// order, straight into the reply's bytes (no tree, no JSON encoder on the hot path).
extension JSONWriter {
    /// An `Endpoint` object.
    mutating func endpoint(_ endpoint: Endpoint) {
        beginObject()
        key("service"); string(endpoint.service.rawValue)
        key("tls"); string(endpoint.tls.rawValue)
        key("host"); string(endpoint.host)
        key("port"); int(endpoint.port)
        key("priority"); int(endpoint.priority)
        key("weight"); int(endpoint.weight)
        key("addresses"); strings(endpoint.addresses)
        key("ttl"); int(endpoint.ttl)
        endObject()
    }

    /// A `[]Route`: each tuple's endpoint and address.
    mutating func routes(_ tuples: [Tuple]) {
        beginArray()
        for tuple in tuples {
            beginObject()
            key("endpoint"); endpoint(tuple.endpoint)
            key("address"); string(tuple.address)
            endObject()
        }
        endArray()
    }

    /// A `Lease` object.
    mutating func lease(_ lease: Lease) {
        beginObject()
        key("lease"); string(lease.id)
        key("email"); string(lease.email)
        key("want"); string(lease.pin.want)
        key("endpoint"); endpoint(lease.tuple.endpoint)
        key("address"); string(lease.tuple.address)
        key("state"); string(lease.state.rawValue)
        endObject()
    }
}

extension LookupResult {
    /// `Lookup`'s output parameters.
    var wire: JSONWriter {
        var json = JSONWriter(capacity: 256 + 192 * candidates.count)
        json.beginObject()
        json.key("domain"); json.string(domain)
        json.key("candidates")
        json.beginArray()
        for candidate in candidates { json.endpoint(candidate) }
        json.endArray()
        json.key("dnssec"); json.string(dnssec.rawValue)
        json.key("source"); json.string(source.rawValue)
        json.key("verifyNames"); json.strings(verifyNames)
        json.endObject()
        return json
    }
}
