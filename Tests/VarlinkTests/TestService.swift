import Synchronization
import Varlink

/// A one-shot signal a test opens and calls wait for.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        self.isOpen = true
        self.waiters.forEach { $0.resume() }
        self.waiters = []
    }

    func wait() async {
        if self.isOpen { return }
        await withCheckedContinuation { self.waiters.append($0) }
    }
}

/// Records what the service saw, in order.
actor Recorder {
    private(set) var events: [String] = []
    private(set) var running = 0
    private(set) var peakRunning = 0

    func record(_ event: String) { self.events.append(event) }
    func started() {
        self.running += 1
        self.peakRunning = max(self.peakRunning, self.running)
    }
    func stopped() { self.running -= 1 }
}

/// A count shared by the copies of a ``TestService``.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    var count: Int { value.load(ordering: .relaxed) }
}

/// The interface of ``TestService``.
let testInterface = VarlinkInterface(
    name: "org.example.Test",
    description: """
        interface org.example.Test
        method Echo(text: string) -> (text: string)
        method Sleep(id: int, ms: int) -> (id: int)
        method Wait(id: int) -> (id: int)
        method Release(id: int) -> (id: int)
        method Note(text: string) -> ()
        method Now(size: int) -> (text: string)
        error Boom(reason: string)

        """
)

let testInfo = VarlinkServiceInfo(
    vendor: "Example", product: "testd", version: "1.0", url: "https://example.org",
    interfaces: [testInterface]
)

/// Answers `org.example.Test`. `Wait` blocks until a `Release` call opens the gate,
/// so a test can make a later call finish before an earlier one. `Now` is answered at
/// once, on the event loop, with `size` bytes of text; `answeredNow` counts them.
struct TestService: VarlinkService {
    let gate = Gate()
    let recorder = Recorder()
    let closed = AsyncStream<VarlinkConnectionContext>.makeStream()
    let answeredNow = Counter()

    func answerImmediately(_ call: VarlinkCall, context: VarlinkConnectionContext) -> VarlinkReply? {
        guard call.method == "org.example.Test.Now", let size = try? call.int("size") else { return nil }
        answeredNow.value.add(1, ordering: .relaxed)
        return VarlinkReply(parameters: ["text": .string(String(repeating: "x", count: size))])
    }

    func handle(_ call: VarlinkCall, context: VarlinkConnectionContext) async throws(VarlinkError) -> VarlinkReply {
        await self.recorder.started()
        do throws(VarlinkError) {
            let reply = try await self.answer(call)
            await self.recorder.stopped()
            return reply
        } catch {
            await self.recorder.stopped()
            throw error
        }
    }

    private func answer(_ call: VarlinkCall) async throws(VarlinkError) -> VarlinkReply {
        switch call.method {
        case "org.example.Test.Echo":
            return VarlinkReply(parameters: ["text": .string(try call.string("text"))])
        case "org.example.Test.Sleep":
            try? await Task.sleep(for: .milliseconds(try call.int("ms")))
            return VarlinkReply(parameters: ["id": .int(try call.int("id"))])
        case "org.example.Test.Wait":
            await self.gate.wait()
            await self.recorder.record("wait done")
            return VarlinkReply(parameters: ["id": .int(try call.int("id"))])
        case "org.example.Test.Release":
            await self.gate.open()
            return VarlinkReply(parameters: ["id": .int(try call.int("id"))])
        case "org.example.Test.Note":
            await self.recorder.record(try call.string("text"))
            return VarlinkReply()
        case "org.example.Test.Boom":
            throw VarlinkError(name: "org.example.Test.Boom", parameters: ["reason": "asked for"])
        default:
            throw .methodNotFound(call.method)
        }
    }

    func connectionClosed(_ context: VarlinkConnectionContext) async {
        await self.recorder.record("closed")
        self.closed.continuation.yield(context)
    }
}
