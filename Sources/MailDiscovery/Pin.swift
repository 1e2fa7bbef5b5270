import FoundationEssentials

/// A uid's pinned tuple for one (domain, want) and the ordered candidates it was chosen
/// from. Each endpoint is kept once, with its addresses; the order of tuples is every
/// address of the first endpoint, then of the next, and so on, so a tuple is its
/// `TuplePosition` and the pin's size is linear in what the lookup learned.
public struct Pin: Hashable, Codable, Sendable {
    public var key: PinKey
    /// The candidates of the lookup that created the pin, best first, each with its
    /// addresses in the order to try (bounded by `PinLimits`).
    public private(set) var endpoints: [Endpoint]
    /// The pinned tuple.
    public var current: TuplePosition
    /// When the lookup's answers were read: each endpoint's `ttl` is the seconds left then.
    public var learnedAt: Date
    /// Set on a pin restored after a restart: it holds without leases until then.
    public var graceUntil: Date?

    /// A pin on the first of `lookup`'s candidates that `accept`s, its candidates and their
    /// addresses cut to `limits`; nil when no tuple is accepted.
    init?(key: PinKey, lookup: LookupResult, limits: PinLimits, learnedAt: Date, accept: (Tuple) -> Bool) {
        self.key = key
        endpoints = lookup.candidates.lazy
            .map { endpoint in
                var endpoint = endpoint
                endpoint.addresses = Array(endpoint.addresses.prefix(limits.addressesPerTarget))
                return endpoint
            }
            .filter { !$0.addresses.isEmpty }
            .prefix(limits.candidatesPerPin)
            .map { $0 }
        self.learnedAt = learnedAt
        graceUntil = nil
        current = TuplePosition(endpoint: 0, address: 0)
        guard let first = positions(after: nil, where: accept, limit: 1).first else { return nil }
        current = first
    }

    /// The tuple at `position` (which must be one of this pin's).
    public func tuple(at position: TuplePosition) -> Tuple {
        let endpoint = endpoints[position.endpoint]
        return Tuple(endpoint: endpoint, address: endpoint.addresses[position.address])
    }

    /// The pinned tuple.
    public var currentTuple: Tuple { tuple(at: current) }

    /// The positions after `start` (from the beginning when nil) whose tuple `accept`s, in
    /// order, at most `limit`.
    func positions(after start: TuplePosition?, where accept: (Tuple) -> Bool, limit: Int) -> [TuplePosition] {
        var found: [TuplePosition] = []
        var position = start.map { TuplePosition(endpoint: $0.endpoint, address: $0.address + 1) }
            ?? TuplePosition(endpoint: 0, address: 0)
        while position.endpoint < endpoints.count, found.count < limit {
            if position.address < endpoints[position.endpoint].addresses.count {
                if accept(tuple(at: position)) { found.append(position) }
                position.address += 1
            } else {
                position = TuplePosition(endpoint: position.endpoint + 1, address: 0)
            }
        }
        return found
    }

    /// The position of the tuple a client names; `notInPinOrder` when there is none.
    func position(at destination: Destination) throws(LeaseError) -> TuplePosition {
        for (index, endpoint) in endpoints.enumerated()
        where endpoint.host == destination.host && endpoint.port == destination.port {
            if let address = endpoint.addresses.firstIndex(of: destination.address) {
                return TuplePosition(endpoint: index, address: address)
            }
        }
        throw .notInPinOrder(destination)
    }

    /// Whether the pin is one `Pin.init` could have made under `limits` (a pin read from a
    /// file may be anything).
    func isValid(under limits: PinLimits) -> Bool {
        endpoints.count <= limits.candidatesPerPin
            && endpoints.allSatisfy { endpoint in
                !endpoint.addresses.isEmpty && endpoint.addresses.count <= limits.addressesPerTarget
                    && (0...Int(CacheSettings.maxTTL)).contains(endpoint.ttl)
            }
            && endpoints.indices.contains(current.endpoint)
            && endpoints[current.endpoint].addresses.indices.contains(current.address)
    }

    /// About the bytes this pin takes in the pins file (and, within a small factor, in
    /// memory): what `PinLimits.bytesPerUID` counts.
    var stateBytes: Int {
        endpoints.reduce(160 + key.domain.utf8.count + key.want.utf8.count) { total, endpoint in
            endpoint.addresses.reduce(total + 140 + endpoint.host.utf8.count) { $0 + 3 + $1.utf8.count }
        }
    }
}

/// Where a tuple sits in its pin's order: the index of its endpoint, and of its address
/// among the endpoint's addresses.
public struct TuplePosition: Hashable, Codable, Sendable {
    public var endpoint: Int
    public var address: Int
}
