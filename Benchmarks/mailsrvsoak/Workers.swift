import Foundation
import Synchronization

/// The soak's client threads (small stacks: there are a thousand of them), counted so
/// that a phase can wait until all have ended.
final class Workers: Sendable {
    private let running = Atomic<Int>(0)

    /// Runs `body` on a thread of its own.
    func spawn(_ body: @escaping @Sendable () -> Void) {
        running.add(1, ordering: .relaxed)
        let thread = Thread { [self] in
            defer { self.running.subtract(1, ordering: .relaxed) }
            body()
        }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Returns when every thread spawned so far has ended.
    func waitForAll() {
        while running.load(ordering: .relaxed) > 0 { usleep(50_000) }
    }
}
