import Glibc

/// The results of a set of threads, one slot per thread; each thread writes only its own.
private final class ResultSlots<T>: @unchecked Sendable {
    var values: [T?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
}

/// Runs `body(0..<count)` on `count` POSIX threads at once and returns their results in
/// index order. Blocking sockets need one thread per connection; Dispatch's pools would
/// cap them at the core count.
func onThreads<T>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let slots = ResultSlots<T>(count: count)
    let threads = (0..<count).map { index in
        startThread(detached: false) { slots.values[index] = body(index) }!
    }
    for thread in threads { pthread_join(thread, nil) }
    return slots.values.map { $0! }
}

/// A closure to hand to a new thread through `pthread_create`'s context pointer.
private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Runs `body` on a new POSIX thread (detached, or to be joined); nil when it could not
/// be made.
func startThread(detached: Bool, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let created = pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, context)
    guard created == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        return nil
    }
    if detached { pthread_detach(thread) }
    return thread
}
