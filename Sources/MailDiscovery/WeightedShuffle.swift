/// The weighted random permutation of RFC 2782 (DESIGN.md §1.5.4).
public enum WeightedShuffle {
    /// Returns `elements` in a random order drawn by repeatedly picking one of the remaining
    /// elements with probability weight / Σweight, without replacement. A weight of 0 counts
    /// as 0.1, so such elements are rarely, but not never, picked early.
    ///
    /// The arithmetic is exact: weights are scaled by 10 (0 → 1) and the draw is uniform in
    /// `0..<sum`, so weights 3 and 1 give exactly 75% / 25%.
    public static func shuffled<Element>(
        _ elements: [Element],
        using rng: inout some RandomNumberGenerator,
        weight: (Element) -> UInt16
    ) -> [Element] {
        guard elements.count > 1 else { return elements }
        var remaining = elements.map { (element: $0, weight: scaled(weight($0))) }
        var sum = remaining.reduce(0) { $0 + $1.weight }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        while !remaining.isEmpty {
            let index = pick(UInt64.random(in: 0..<sum, using: &rng), from: remaining.map(\.weight))
            let chosen = remaining.remove(at: index)
            sum -= chosen.weight
            result.append(chosen.element)
        }
        return result
    }

    /// `tiers` concatenated, best first, each shuffled by weight as ``shuffled(_:using:weight:)``
    /// does: the order to try ranked SRV records in (``SRVOrdering/tiers(_:clientHost:retrievalOrder:)``).
    public static func shuffled<Element>(
        tiers: [[Element]],
        using rng: inout some RandomNumberGenerator,
        weight: (Element) -> UInt16
    ) -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(tiers.reduce(0) { $0 + $1.count })
        for tier in tiers {
            result += shuffled(tier, using: &rng, weight: weight)
        }
        return result
    }

    /// A weight in tenths: w → 10·w, 0 → 1.
    static func scaled(_ weight: UInt16) -> UInt64 {
        weight == 0 ? 1 : 10 * UInt64(weight)
    }

    /// The index whose cumulative weight range contains `draw` (`draw` < Σweights).
    private static func pick(_ draw: UInt64, from weights: [UInt64]) -> Int {
        var cumulative: UInt64 = 0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if draw < cumulative { return index }
        }
        preconditionFailure("draw \(draw) is not below the sum of the weights")
    }
}
