import Testing
@testable import MailDiscovery

@Suite struct WeightedShuffleTests {
    private struct Item: Hashable { var name: String; var weight: UInt16 }

    /// How often each item is drawn first over `draws` shuffles from one seeded generator.
    private func firstCounts(_ items: [Item], draws: Int = 4_000, seed: UInt64 = 42) -> [String: Int] {
        var rng = SeededGenerator(seed: seed)
        var counts: [String: Int] = [:]
        for _ in 0..<draws {
            let first = WeightedShuffle.shuffled(items, using: &rng) { $0.weight }[0]
            counts[first.name, default: 0] += 1
        }
        return counts
    }

    @Test func weightsThreeAndOneGiveSeventyFiveTwentyFive() {
        let counts = firstCounts([Item(name: "a", weight: 3), Item(name: "b", weight: 1)])
        let share = Double(counts["a", default: 0]) / 4_000
        // The biased "random in [0, sum]" reading would give 70%.
        #expect(abs(share - 0.75) <= 0.03, "weight-3 record first \(share)")
    }

    @Test func equalWeightsAreEvenlyDrawn() {
        let counts = firstCounts([Item(name: "a", weight: 5), Item(name: "b", weight: 5)])
        let share = Double(counts["a", default: 0]) / 4_000
        #expect(abs(share - 0.5) <= 0.03, "first record first \(share)")
    }

    @Test func weightZeroCountsAsOneTenth() {
        let counts = firstCounts([Item(name: "one", weight: 1), Item(name: "zero", weight: 0)])
        let zeroFirst = counts["zero", default: 0]
        let share = Double(zeroFirst) / 4_000
        #expect(zeroFirst > 0, "a weight-0 record must sometimes be first")
        #expect((0.06...0.125).contains(share), "weight-0 record first \(share), expected ≈ 1/11")
    }

    @Test func allZeroWeightsAreEvenlyDrawn() {
        let items = (0..<4).map { Item(name: "\($0)", weight: 0) }
        let counts = firstCounts(items)
        for item in items {
            let share = Double(counts[item.name, default: 0]) / 4_000
            #expect(abs(share - 0.25) <= 0.03, "\(item.name) first \(share)")
        }
    }

    @Test func isAPermutationWithoutReplacement() {
        var rng = SeededGenerator(seed: 7)
        let items = [Item(name: "a", weight: 60), Item(name: "b", weight: 0),
                     Item(name: "c", weight: 1), Item(name: "d", weight: 65_535)]
        for _ in 0..<200 {
            let shuffled = WeightedShuffle.shuffled(items, using: &rng) { $0.weight }
            #expect(shuffled.count == items.count)
            #expect(Set(shuffled) == Set(items))
        }
    }

    @Test func secondPlaceFollowsTheRemainingWeights() {
        // After "big" (weight 98 of 100) is drawn first, "a" and "b" (1:1) share second place.
        var rng = SeededGenerator(seed: 3)
        var aSecond = 0, bigFirst = 0
        for _ in 0..<4_000 {
            let order = WeightedShuffle.shuffled(
                [Item(name: "big", weight: 98), Item(name: "a", weight: 1), Item(name: "b", weight: 1)],
                using: &rng) { $0.weight }.map(\.name)
            guard order[0] == "big" else { continue }
            bigFirst += 1
            if order[1] == "a" { aSecond += 1 }
        }
        let share = Double(aSecond) / Double(bigFirst)
        #expect(abs(share - 0.5) <= 0.04, "a second \(share)")
    }

    @Test func emptyAndSingleInputs() {
        var rng = SeededGenerator(seed: 1)
        #expect(WeightedShuffle.shuffled([Item](), using: &rng) { $0.weight }.isEmpty)
        let one = [Item(name: "x", weight: 0)]
        #expect(WeightedShuffle.shuffled(one, using: &rng) { $0.weight } == one)
    }

    @Test func tiersStayInOrderAndEachIsShuffledWithin() {
        let tiers = [[Item(name: "a1", weight: 1), Item(name: "a2", weight: 1)],
                     [], [Item(name: "b1", weight: 0)],
                     [Item(name: "c1", weight: 5), Item(name: "c2", weight: 5), Item(name: "c3", weight: 5)]]
        var rng = SeededGenerator(seed: 3)
        var orders = Set<[String]>()
        for _ in 0..<200 {
            let names = WeightedShuffle.shuffled(tiers: tiers, using: &rng) { $0.weight }.map(\.name)
            #expect(Set(names[0..<2]) == ["a1", "a2"])
            #expect(names[2] == "b1")
            #expect(Set(names[3...]) == ["c1", "c2", "c3"])
            orders.insert(names)
        }
        #expect(orders.count == 2 * 6, "every order within the tiers is drawn")
    }

    @Test func sameSeedSameOrderOtherSeedsDiffer() {
        let items = (0..<8).map { Item(name: "\($0)", weight: UInt16($0)) }
        func order(seed: UInt64) -> [String] {
            var rng = SeededGenerator(seed: seed)
            return WeightedShuffle.shuffled(items, using: &rng) { $0.weight }.map(\.name)
        }
        #expect(order(seed: 99) == order(seed: 99))
        #expect(Set((0..<20).map { order(seed: $0) }).count > 1)
    }
}

@Suite struct SeededGeneratorTests {
    @Test func sameSeedSameSequence() {
        var a = SeededGenerator(seed: 12345), b = SeededGenerator(seed: 12345)
        let first = (0..<16).map { _ in a.next() }
        #expect(first == (0..<16).map { _ in b.next() })
        #expect(Set(first).count == 16)
    }

    @Test func differentSeedsDiffer() {
        var a = SeededGenerator(seed: 1), b = SeededGenerator(seed: 2)
        #expect((0..<4).map { _ in a.next() } != (0..<4).map { _ in b.next() })
    }
}
