/// A tuple to connect to and the names its certificate may present.
public struct Route: Hashable, Sendable {
    public var tuple: Tuple
    public var verifyNames: [String]

    public init(tuple: Tuple, verifyNames: [String]) {
        self.tuple = tuple
        self.verifyNames = verifyNames
    }
}
