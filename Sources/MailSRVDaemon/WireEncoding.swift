import MailDiscovery
import Varlink

/// PROTOCOL.md's types as Varlink parameters, built directly (no JSON encoder round trip
/// on the hot path).
extension Endpoint {
    var wire: JSONValue {
        .object([
            "service": .string(service.rawValue),
            "tls": .string(tls.rawValue),
            "host": .string(host),
            "port": .int(port),
            "priority": .int(priority),
            "weight": .int(weight),
            "addresses": .array(addresses.map(JSONValue.string)),
            "ttl": .int(ttl),
        ])
    }
}

extension LookupResult {
    var wire: JSONObject {
        [
            "domain": .string(domain),
            "candidates": .array(candidates.map(\.wire)),
            "dnssec": .string(dnssec.rawValue),
            "source": .string(source.rawValue),
            "verifyNames": .array(verifyNames.map(JSONValue.string)),
        ]
    }
}

extension Lease {
    var wire: JSONValue {
        .object([
            "lease": .string(id),
            "email": .string(email),
            "want": .string(pin.want),
            "endpoint": tuple.endpoint.wire,
            "address": .string(tuple.address),
            "state": .string(state.rawValue),
        ])
    }
}
