import Testing
@testable import MailDiscovery

@Suite struct AddressOrderingTests {
    private let v6 = ["2001:db8::1", "2001:db8::2", "2001:db8::3"]
    private let v4 = ["192.0.2.1", "192.0.2.2"]

    private func order(_ ipv6: [String], _ ipv4: [String], _ families: AddressFamilies,
                       seed: UInt64 = 1) -> [String] {
        var rng = SeededGenerator(seed: seed)
        return AddressOrdering.arrange(ipv6: AddressOrdering.unique(ipv6), ipv4: AddressOrdering.unique(ipv4),
                                       hostFamilies: families, using: &rng)
    }

    private func isIPv6(_ address: String) -> Bool { address.contains(":") }

    @Test func dualStackHostInterleavesStartingWithIPv6() {
        for seed in 0..<20 as Range<UInt64> {
            let result = order(v6, v4, [.ipv6, .ipv4], seed: seed)
            #expect(result.map(isIPv6) == [true, false, true, false, true])
            #expect(Set(result) == Set(v6 + v4))
        }
    }

    @Test func ipv6OnlyHostPutsIPv4Last() {
        let result = order(v6, v4, .ipv6)
        #expect(result.map(isIPv6) == [true, true, true, false, false])
        #expect(Set(result) == Set(v6 + v4))
    }

    @Test func ipv4OnlyHostPutsIPv4First() {
        let result = order(v6, v4, .ipv4)
        #expect(result.map(isIPv6) == [false, false, true, true, true])
        #expect(Set(result) == Set(v6 + v4))
    }

    @Test func hostWithNeitherFamilyTreatsBothAsUsable() {
        let result = order(v6, v4, [])
        #expect(result.map(isIPv6) == [true, false, true, false, true])
    }

    @Test func singleFamilyTargets() {
        #expect(order([], v4, [.ipv6, .ipv4]).map(isIPv6) == [false, false])
        #expect(order(v6, [], .ipv4).map(isIPv6) == [true, true, true])
        #expect(order([], [], .ipv6).isEmpty)
    }

    @Test func duplicatesAppearOnce() {
        let result = order(["2001:db8::1", "2001:db8::1"], ["192.0.2.1", "192.0.2.1", "192.0.2.2"],
                           [.ipv6, .ipv4])
        #expect(result.count == 3)
        #expect(Set(result) == ["2001:db8::1", "192.0.2.1", "192.0.2.2"])
        #expect(result.map(isIPv6) == [true, false, false])
    }

    @Test func everyAddressOfAFamilyIsSometimesFirst() {
        var rng = SeededGenerator(seed: 8)
        var firstV6: [String: Int] = [:], firstV4: [String: Int] = [:]
        for _ in 0..<3_000 {
            let result = AddressOrdering.arrange(ipv6: v6, ipv4: v4, hostFamilies: [.ipv6, .ipv4], using: &rng)
            firstV6[result[0], default: 0] += 1
            firstV4[result[1], default: 0] += 1
        }
        for address in v6 { #expect((850...1_150).contains(firstV6[address, default: 0]), "\(address)") }
        for address in v4 { #expect((1_350...1_650).contains(firstV4[address, default: 0]), "\(address)") }
    }

    @Test func sameSeedSameOrder() {
        #expect(order(v6, v4, [.ipv6, .ipv4], seed: 5) == order(v6, v4, [.ipv6, .ipv4], seed: 5))
    }
}
