import Testing
@testable import MailDiscovery

@Suite struct LRUStoreTests {
    @Test func keepsAtMostCapacityAndEvictsTheOldest() {
        var store = LRUStore<Int, String>(capacity: 2)
        #expect(store.set(1, "one") == nil)
        #expect(store.set(2, "two") == nil)
        #expect(store.get(1) == "one")
        #expect(store.set(3, "three") == 2)
        #expect(store.count == 2)
        #expect(store.entriesOldestFirst.map(\.key) == [1, 3])
    }

    @Test func updatingAKeyRefreshesItsRecencyWithoutGrowing() {
        var store = LRUStore<String, Int>(capacity: 3)
        for (index, key) in ["a", "b", "c"].enumerated() { store.set(key, index) }
        store.set("a", 10)
        #expect(store.count == 3)
        #expect(store.entriesOldestFirst.map(\.key) == ["b", "c", "a"])
        #expect(store.set("d", 4) == "b")
    }

    @Test func removedSlotsAreReused() {
        var store = LRUStore<Int, Int>(capacity: 100)
        for round in 0..<1000 {
            store.set(round, round)
            if round >= 10 { store.remove(round - 10) }
        }
        #expect(store.count == 10)
        #expect(store.entriesOldestFirst.map(\.key) == Array(990..<1000))
    }
}
