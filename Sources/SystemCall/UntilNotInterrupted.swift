import Glibc

/// Runs a system call until it does not fail with `EINTR` (a signal arrived while it
/// waited): every retry of an interrupted call in the package goes through here. Returns
/// the last result; on `-1`, `errno` is the call's.
@inlinable
public func untilNotInterrupted<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    while true {
        let result = call()
        if result != -1 || errno != EINTR { return result }
    }
}
